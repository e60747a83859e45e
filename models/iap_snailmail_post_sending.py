# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Posting letters of local accounts: the stock PDF checked, priced, charged through the
dispatch layer and handed to the account's provider, each attempt kept in the Post Outbox."""

import base64
import logging
from uuid import uuid4

import psycopg2

from odoo import api, models
from odoo.exceptions import UserError

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from ..tools.gateway_errors import log_details

_logger = logging.getLogger(__name__)


class IapSnailmailPostSending(models.Model):
    """Letters handed to a provider, each on its own, charged only when it accepted them."""

    _inherit = "iap.snailmail.post"

    # ------------------------------------------------------------
    # POSTING — called by `snailmail.letter._snailmail_print_valid_address`
    # ------------------------------------------------------------

    @api.model
    def _post_letters(self, account, letters):
        """Price, charge and post letters of a local account, each on its own.

        Each letter's PDF is prepared by stock (`snailmail.letter._snailmail_create`: the
        report with the snail mail layout, margins cleared, cover page), checked, priced by
        `iap.service._snailmail_letter_price` and handed to the dispatch layer, which holds
        the credits (committed before the provider is called), calls the account's provider
        and captures the price only when the provider accepted the letter. Incomplete
        letters, unreadable PDFs, a missing provider, too few credits, refusals and failures
        of the provider put the letter in the stock error state, charged nothing.

        :param account: the local `iap.account` of the snail mail service
        :param letters: `snailmail.letter` records of the account's company, with a complete address
        """
        for letter in letters:
            self._post_letter(account, letter)
        letters.message_id._notify_message_notification_update()

    @api.model
    def _post_letter(self, account, letter):
        # Allow referencing: the outbox row, written in the capture's own transaction,
        # references the letter; a plain FOR UPDATE would make it wait for this transaction.
        locked = letter.try_lock_for_update(allow_referencing=True)
        if not locked:
            _logger.info("Letter %s is being posted by another worker: skipped", letter.id)
            return
        posted = self._accepted_post(letter)
        if posted:
            # Accepted and charged by an earlier run whose own transaction was lost: never again.
            _logger.info("Letter %s was already posted (outbox %s): not posted again", letter.id, posted.id)
            letter._iap_credits_set_sent(posted.provider_ref)
            return
        item = self._prepare_item(letter)
        if item is None:
            return
        gateway = account.snailmail_gateway_id
        if not gateway:
            letter._iap_credits_set_error(
                "UNKNOWN_ERROR",
                self.env._(
                    "No snail mail provider is set on the account %(account)s: choose one on the account.",
                    account=account.display_name,
                ),
            )
            return
        try:
            outcome, _post = self._post_item(account, gateway, item, self._letter_origin(letter), letter.country_id)
        except InsufficientCreditError as error:
            self.env["iap.account"]._send_no_credit_notification(
                service_name="snailmail", title=self.env._("Not enough credits for Snail Mail")
            )
            url = self.env["iap.account"].sudo().get_credits_url(service_name="snailmail")
            letter._iap_credits_set_error(
                "CREDIT_ERROR", self.env._("%(error)s Buy credits: %(url)s", error=error, url=url)
            )
            return
        if outcome.get("success"):
            letter._iap_credits_set_sent(outcome.get("provider_ref"))
        else:
            letter._iap_credits_set_error(outcome.get("error_code") or "UNKNOWN_ERROR", outcome.get("failure_reason"))

    @api.model
    def _letter_origin(self, letter):
        """The outbox values of where a letter of this database comes from (see `_record`)."""
        return {
            "letter_id": letter.id,
            "company_id": letter.company_id.id,
            "partner_id": letter.partner_id.id,
            "user_id": letter.user_id.id,
            "res_model": letter.model,
            "res_id": letter.res_id,
            "country_id": letter.country_id.id,
        }

    @api.model
    def _post_item(self, account, gateway, item, origin, country):
        """Price, charge and post one letter prepared as providers take it (`_prepare_item`):
        the one place that posts with local credits, for this database's letters and for
        the documents of client databases (server mode, `iap.snailmail.post._server_print`).

        Priced by `iap.service._snailmail_letter_price`, held through the dispatch layer
        (committed before the provider is called), captured only when the provider accepted
        the letter; the attempt is kept in the outbox, committed with the charge.

        :param gateway: the account's `iap.snailmail.gateway`
        :param dict origin: the outbox values of the letter's origin (`_letter_origin`)
        :param country: the destination `res.country`, for its rate
        :return: ``(outcome, outbox row)``, the outcome as `iap.snailmail.gateway._snailmail_send`'s
        :raise InsufficientCreditError: the account cannot pay: nothing held, nothing posted
        """
        credits = account.service_id._snailmail_letter_price(item["pages"], color=item["color"], country=country)
        reference = f"snailmail-{uuid4().hex[:12]}"
        description = self.env._(
            "Snail mail: %(document)s to %(recipient)s, %(pages)s page(s) via %(provider)s",
            document=item["description"],
            recipient=item["address"]["name"],
            pages=item["pages"],
            provider=gateway.name,
        )
        letter_id = origin.get("letter_id")
        recorded = self.browse()

        def record(env, outcomes):
            # In the capture's transaction: the outbox row commits with the charge, so a
            # run that dies before its own commit leaves the proof that the letter went.
            nonlocal recorded
            if (
                letter_id
                and env.cr is not self.env.cr
                and not env["snailmail.letter"].sudo().browse(letter_id).exists()
            ):
                return  # a letter of this very transaction: recorded by it, below
            recorded = self.with_env(env)._record(account, gateway, origin, item, outcomes[0], credits, reference)

        try:
            result = self.env["iap.credit.dispatch"]._dispatch(
                account,
                [item],
                lambda _item: credits,
                gateway._snailmail_send,
                description,
                reference=reference,
                record=record,
            )
            outcome = result.outcomes[0]
        except (InsufficientCreditError, psycopg2.Error):
            # A database error (serialization failure, lost connection) is not the provider's:
            # it propagates, so that Odoo retries the whole transaction.
            raise
        except Exception as error:  # the dispatch released the credits: nothing is charged
            # Redacted, without the traceback: its frames' text may quote URLs and credentials.
            _logger.error(
                "Snail mail provider %s failed on letter %s: %s", gateway.name, item["letter_id"], log_details(error)
            )
            outcome = gateway._snailmail_failure(
                [item],
                self.env._(
                    "The snail mail provider %(name)s failed unexpectedly (%(error)s); the details are in the "
                    "server log.",
                    name=gateway.name,
                    error=type(error).__name__,
                ),
            )[0]
        if not recorded:
            recorded = self._record(account, gateway, origin, item, outcome, credits, reference)
        return outcome, recorded

    @api.model
    def _prepare_item(self, letter):
        """The letter as a provider takes it, or ``None`` when the letter was put in error
        instead (nothing held yet, so nothing charged).

        The PDF and the addresses are the stock ones (`_snailmail_create`), so the letter
        posted is the one stock prepares for Odoo's own service.
        """
        try:
            with self.env.cr.savepoint():
                payload = letter._snailmail_create("print")
        except psycopg2.Error:
            raise
        except (UserError, ValueError, OSError) as error:
            # Rendering refused (not A4, wkhtmltopdf missing or failing) or a PDF stock could not merge.
            _logger.warning("Letter %s: the document could not be generated: %s", letter.id, error)
            letter._iap_credits_set_error(
                "ATTACHMENT_ERROR",
                self.env._("The document of the letter could not be generated: %(error)s", error=str(error)),
            )
            return None
        if not payload["documents"]:
            # Stock put the letter in error (no recipient name, no attachment): tell the chatter.
            letter._iap_credits_set_error(letter.error_code or "UNKNOWN_ERROR", letter.info_msg, note_only=True)
            return None
        document = payload["documents"][0]
        pdf = base64.b64decode(document.get("pdf_bin") or "")
        pages = letter._count_pages_pdf(pdf) if pdf.startswith(b"%PDF") else 0
        if not pages:
            letter._iap_credits_set_error(
                "FORMAT_ERROR", self.env._("The document of the letter is not a PDF that can be printed.")
            )
            return None
        partner = letter.partner_id
        address = dict(document["address"])
        commercial = partner.commercial_partner_id
        address["company_name"] = commercial.name if commercial != partner else False
        return {
            "letter_id": letter.id,
            "pdf": pdf,
            "filename": letter.attachment_id.name or f"letter-{letter.id}.pdf",
            "pages": pages,
            "address": address,
            "return_address": dict(document["return_address"]),
            "contact_address": document.get("contact_address") or "",
            "color": letter.color,
            "duplex": letter.duplex,
            "cover": letter.cover,
            "description": self._document_name(letter),
            "idempotency_key": self._idempotency_key(letter),
        }

    @api.model
    def _document_name(self, letter):
        record = self.env[letter.model].sudo().browse(letter.res_id).exists()
        return record.display_name if record else letter.display_name
