# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Tours that assert the texts of their user's language.

The tours of ``static/tests/tours`` that read ``tourTexts()`` (``tour_texts.js``) get the
texts they expect from the test: :class:`JourneyTourMixin` reads them from the translation
files (this addon's ``i18n/<lang>.po``, a stock module's for its own terms) in the language
of the user who runs the tour, and hands them to the browser before the tour starts. One tour
definition serves every language; a page that shows English to a Chinese user fails it.
"""

import json
import re
import unittest
from functools import cache

import polib

from odoo.tools import formatLang
from odoo.tools.misc import file_path

TEXTS_KEY = "iap_credits.tour_texts"  # TOUR_TEXTS_KEY of tour_texts.js
PLACEHOLDER_RE = re.compile(r"%\(\w+\)s")
TAG_RE = re.compile(r"<[^>]+>")


@cache
def _catalog(module, lang):
    """The translated entries of ``module``'s file for ``lang``: {msgid: msgstr}."""
    path = file_path(f"{module}/i18n/{lang}.po")
    return {entry.msgid: entry.msgstr for entry in polib.pofile(path).translated_entries()}


class Texts:
    """What a user of ``env``'s language reads, as the translation files give it."""

    def __init__(self, env):
        self.env = env
        self.lang = env.lang or "en_US"

    def __call__(self, msgid, module="iap_credits"):
        """The translation of ``msgid``; a missing one fails the test (the page would be English)."""
        if self.lang == "en_US":
            text = msgid
        else:
            text = _catalog(module, self.lang).get(msgid)
            if not text:
                raise AssertionError(f"{module}/i18n/{self.lang}.po has no translation of {msgid!r}")
        # The page's text as the tour reads it: tags (of view terms) left out, no-break spaces
        # are spaces; a double quote would end the tour's :contains("…").
        text = " ".join(TAG_RE.sub("", text).replace("\N{NO-BREAK SPACE}", " ").split())
        if '"' in text:
            raise AssertionError(f"{text!r}: a tour cannot look for a double quote")
        return text

    def parts(self, msgid, module="iap_credits"):
        """The literal pieces of a translated message with placeholders, each one a text the
        page shows whatever the values: "Need %(x)s, %(y)s left" → ["Need", ",", "left"]."""
        return [part.strip() for part in PLACEHOLDER_RE.split(self(msgid, module)) if part.strip()]

    def number(self, credits):
        """``credits`` as the pages show them: the 'IAP Credits' precision, the language's separators."""
        return formatLang(self.env, credits, dp="IAP Credits")

    def credits(self, credits):
        """``credits`` with the unit, as ``iap.account._format_credits`` writes it (its space a space)."""
        return f"{self.number(credits)} {self('Credits')}"


def sms_shortage_texts(t, body, needed, available):
    """The composer of an SMS that costs ``needed`` credits, with ``available`` credits."""
    shortage = t.parts(
        "Not enough credits: this message needs %(needed)s, %(available)s available. "
        "The SMS that cannot be paid will not be sent, and nothing is charged for them."
    )
    return {
        "body": body,
        "estimate": [t("credits —"), t("available")],
        "shortage": [*shortage, t.credits(needed), t.credits(available)],
        "buy_credits": t("Buy credits"),
        "notification_title": t("Not enough SMS credits"),
        "failure": t("Insufficient Credit", module="sms"),
        "balance": t.number(available),
        "available_credits": t("Available credits"),
        "pack": "Tour Pack",
        "buy": t("Buy"),
    }


def buy_credits_texts(t):
    """The purchase of the pack of 100 + 50 credits, from a balance of 10 credits."""
    purchase = t("Purchase of %(pack)s (payment %(reference)s)").replace("%(pack)s", "Tour Pack")
    return {
        "available_credits": t("Available credits"),
        "balance_before": t.number(10),
        "pack_credits": [f"{t.number(100)} {t('Credits')}", f"{t.number(50)} {t('bonus credits')}"],
        "buy": t("Buy"),
        "pack": t("Pack"),
        "credits": t("Credits"),
        "thank_you": t("<strong>Thank you!</strong>"),
        "credits_added": t("credits were added to"),
        "back_to_account": t('Back to the account <i class="oi oi-arrow-right ms-2"/>'),
        "purchase_row": PLACEHOLDER_RE.split(purchase)[0].strip(),
    }


class JourneyTourMixin:
    """For HttpCase classes: start the tours that take the texts of their user's language."""

    def start_journey_tour(self, url, tour, texts, login):
        """Start ``tour`` at ``url`` as ``login``, expecting ``texts`` (a dict, see above);
        fail if the browser cannot run it: a skipped journey is no journey."""
        # Before the tour service reads the tour's steps, which is when it tells whether the tour is ready.
        store = f"localStorage.setItem({TEXTS_KEY!r}, {json.dumps(json.dumps(texts))})"
        ready = f"({store}, odoo.isTourReady({tour!r}))"
        try:
            self.start_tour(url, tour, login=login, ready=ready)
        except unittest.SkipTest as skip:
            self.fail(f"The tour {tour} did not run: {skip}")

    def texts_of(self, login):
        """The :class:`Texts` of the language of the user ``login``."""
        user = self.env["res.users"].search([("login", "=", login)])
        return Texts(self.env(context={**self.env.context, "lang": user.lang}))
