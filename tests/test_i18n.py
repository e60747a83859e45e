# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The Simplified Chinese translation reaches users, and the translation files stay complete.

The first tests load ``i18n/zh_CN.po`` the way Odoo does when a language is installed and
check strings a zh_CN user really sees: a field label, the insufficient-credit error of the
ledger, the low-credit email. Without the file (or with a broken one) they come out in
English and the tests fail. The last tests read the files themselves so that a re-exported
template with new, untranslated terms, or a translation that lost a placeholder, is caught
before a user gets a half-English page or a formatting error.
"""

import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase, new_test_user

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from .common import IapCreditsCase, load_zh_cn

I18N = Path(__file__).resolve().parent.parent / "i18n"
# What a translation must carry over unchanged: named and positional placeholders, inline
# template expressions, and every tag with its attributes (QWeb t-out, t-att, classes).
PLACEHOLDER_RE = re.compile(r"%\(\w+\)s|%s|\{\{.*?\}\}|<[^>]+>")


class TestI18nZhCN(IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_zh_cn(cls.env)
        cls.zh_user = new_test_user(cls.env, login="iap_credits_zh_user", groups="base.group_user", lang="zh_CN")

    def test_field_label_and_help(self):
        fields_en = self.env["iap.account"].with_context(lang="en_US").fields_get(["credit_available"])
        fields_zh = self.env["iap.account"].with_context(lang="zh_CN").fields_get(["credit_available"])
        self.assertEqual(fields_en["credit_available"]["string"], "Available")
        self.assertEqual(fields_zh["credit_available"]["string"], "可用")
        # Chinese punctuation is full width: RUF001 does not apply to these strings.
        help_zh = "当前可消耗的点数：余额减去预留点数。"  # noqa: RUF001
        self.assertEqual(fields_zh["credit_available"]["help"], help_zh)
        self.assertEqual(
            self.env["iap.credit.pack"]
            .with_context(lang="zh_CN")
            .fields_get(["bonus_credits"])["bonus_credits"]["string"],
            "赠送点数",
        )

    def test_insufficient_credit_error_for_a_zh_user(self):
        """The error of a service run by a zh_CN user is in Chinese, placeholders filled in."""
        self.account._credits_grant(5, "Test credits")
        account = self.account.with_user(self.zh_user).with_context(lang=self.zh_user.lang)
        with self.assertRaises(InsufficientCreditError) as caught:
            account._credits_reserve(8, "Campaign")
        message = str(caught.exception)
        self.assertIn("点数不足", message)
        self.assertIn("需要 8", message)
        self.assertIn("可用 5", message)
        self.assertIn("查看我的服务 → Test SMS account → 购买点数", message)
        self.assertNotIn("Not enough", message)
        self.assertCredits(self.account, 5.0)

    def test_low_credit_email_subject_and_body(self):
        """The alert is rendered in the recipient's language, the template still renders."""
        template = self.env.ref("iap_credits.mail_template_credit_alert")
        self.company.partner_id.lang = "zh_CN"
        self.account.warning_threshold = 10
        subject = template._render_field("subject", self.account.ids, compute_lang=True)[self.account.id]
        service_name = self.service_sms.with_context(lang="zh_CN").name
        self.assertEqual(subject, f"{service_name} 点数即将不足（{self.company.name}）")  # noqa: RUF001
        body = str(template._render_field("body_html", self.account.ids, compute_lang=True)[self.account.id])
        self.assertIn("点数即将不足", body)
        self.assertIn("购买点数", body)
        self.assertIn(f'href="{self.account.warning_buy_url}"', body.replace("&amp;", "&"))
        self.assertNotIn("running low", body)


class TestI18nFiles(TransactionCase):
    """The .po files: complete for the template, placeholders kept. No database terms needed."""

    def test_zh_cn_translates_every_template_entry(self):
        self.assertTrue((I18N / "zh_CN.po").is_file(), "i18n/zh_CN.po is missing")
        template = polib.pofile(str(I18N / "iap_credits.pot"))
        zh = {entry.msgid: entry for entry in polib.pofile(str(I18N / "zh_CN.po"))}
        self.assertGreater(len(template), 100, "the template looks truncated")
        missing = [e.msgid for e in template if e.msgid not in zh or not zh[e.msgid].msgstr or zh[e.msgid].fuzzy]
        self.assertFalse(missing, "untranslated or fuzzy in zh_CN.po (run dev/i18n_export.sh, then translate)")

    def test_translations_keep_placeholders_and_markup(self):
        for entry in polib.pofile(str(I18N / "zh_CN.po")):
            with self.subTest(msgid=entry.msgid[:60]):
                self.assertEqual(
                    sorted(PLACEHOLDER_RE.findall(entry.msgstr)), sorted(PLACEHOLDER_RE.findall(entry.msgid))
                )
