# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import base64
import logging
from datetime import timedelta
from uuid import uuid4

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError
from odoo.addons.snailmail.models.snailmail_letter import ERROR_CODES

from ..tools.gateway_errors import log_details

_logger = logging.getLogger(__name__)

# Provider statuses (PostGrid's, the generic HTTP API's) after which a letter never changes.
FINAL_STATUSES = {"completed", "cancelled", "delivered", "failed", "returned", "sandbox"}
# Provider statuses that mean the letter will not be posted: its credits are given back.
CANCELLED_STATUSES = {"cancelled", "failed"}
# Letters whose provider failed (unreachable, 5xx, timeout) are retried by the stock queue job
# at most this many times; then they stay in error until a user sends them again.
MAX_AUTOMATIC_RETRIES = 5
# Letters accepted by a provider are asked about for this long, then left alone.
POLL_DAYS = 60


class IapSnailmailPost(models.Model):
    """One attempt at posting a letter with local credits: the Post Outbox.

    A row is written for every letter handed to a provider, whether it accepted the
    letter (charged) or not (never charged), with the final PDF exactly as it was posted
    (margins cleared and cover page as stock prepares them), the address, the options,
    the pages and the price. The sandbox provider posts nothing: its outbox is what would
    have been posted. A letter accepted once is never handed to a provider again: a retry
    finds its row and reports the letter sent.
    """

    _name = "iap.snailmail.post"
    _description = "Post Outbox"
    _order = "id desc"
    _rec_name = "recipient_name"

    letter_id = fields.Many2one(
        "snailmail.letter",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The stock letter (Settings > Technical > Snailmail Letters) this attempt posted.",
    )
    account_id = fields.Many2one("iap.account", readonly=True, index=True, ondelete="restrict")
    gateway_id = fields.Many2one(
        "iap.snailmail.gateway", string="Provider", readonly=True, index=True, ondelete="set null"
    )
    gateway_code = fields.Selection(related="gateway_id.code", string="Provider Type")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Recipient", readonly=True, index="btree_not_null")
    user_id = fields.Many2one("res.users", string="Sent by", readonly=True, index="btree_not_null")
    res_model = fields.Char(string="Document Model", readonly=True)
    res_id = fields.Integer(string="Document ID", readonly=True)
    document_name = fields.Char(string="Document", readonly=True, help="The document posted, e.g. the invoice.")
    recipient_name = fields.Char(readonly=True, help="The name the letter was addressed to.")
    address = fields.Text(readonly=True, help="The recipient's address, as sent to the provider.")
    country_id = fields.Many2one("res.country", readonly=True)
    pdf = fields.Binary(string="PDF", attachment=True, readonly=True, help="The letter exactly as it was posted.")
    pdf_filename = fields.Char(readonly=True)
    pages = fields.Integer(readonly=True, help="Pages of the PDF posted, cover page included.")
    color = fields.Boolean(readonly=True)
    duplex = fields.Boolean(string="Both Sides", readonly=True)
    cover = fields.Boolean(string="Cover Page", readonly=True)
    price = fields.Float(
        digits="IAP Credits",
        readonly=True,
        help="What this letter costs (`iap.service._snailmail_letter_price`: its pages, colour and "
        "destination country), charged only when the provider accepted it.",
    )
    credits = fields.Float(
        string="Credits Charged",
        digits="IAP Credits",
        readonly=True,
        help="Credits charged for this letter: its price when the provider accepted it, zero when it did "
        "not (given back when the provider cancelled it).",
    )
    state = fields.Selection(
        [("accepted", "Posted"), ("error", "Failed"), ("cancelled", "Cancelled by the provider")],
        readonly=True,
        required=True,
        default="accepted",
        index=True,
    )
    error_code = fields.Selection([(code, code) for code in ERROR_CODES], string="Error", readonly=True)
    failure_reason = fields.Text(readonly=True)
    provider_ref = fields.Char(
        string="Provider Reference", readonly=True, index="btree_not_null", help="The provider's id of the letter."
    )
    provider_status = fields.Char(readonly=True, help="The letter's last status reported by the provider.")
    idempotency_key = fields.Char(
        readonly=True, help="Sent with the letter: a provider that honours it never posts one letter twice."
    )
    retry = fields.Boolean(
        string="Retried Automatically",
        readonly=True,
        help="The provider failed (unreachable, error, timeout): the letter queue job tries the letter again.",
    )
    uncertain = fields.Boolean(
        readonly=True,
        help="The provider's answer was lost: it may have accepted the letter, so the next attempt sends "
        "the same idempotency key.",
    )
    reference = fields.Char(string="Ledger Reference", readonly=True)
    polled_at = fields.Datetime(readonly=True, help="When the provider was last asked about this letter.")

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_document(self):
        self.ensure_one()
        return self.env[self.res_model].browse(self.res_id)._get_records_action()

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
        credits = account.service_id._snailmail_letter_price(
            item["pages"], color=item["color"], country=letter.country_id
        )
        reference = f"snailmail-{uuid4().hex[:12]}"
        description = self.env._(
            "Snail mail: %(document)s to %(recipient)s, %(pages)s page(s) via %(provider)s",
            document=item["description"],
            recipient=item["address"]["name"],
            pages=item["pages"],
            provider=gateway.name,
        )
        recorded = self.browse()

        def record(env, outcomes):
            # In the capture's transaction: the outbox row commits with the charge, so a
            # run that dies before its own commit leaves the proof that the letter went.
            nonlocal recorded
            if env.cr is not self.env.cr and not env["snailmail.letter"].sudo().browse(letter.id).exists():
                return  # a letter of this very transaction: recorded by it, below
            recorded = self.with_env(env)._record(account, gateway, letter, item, outcomes[0], credits, reference)

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
        except InsufficientCreditError as error:
            self.env["iap.account"]._send_no_credit_notification(
                service_name="snailmail", title=self.env._("Not enough credits for Snail Mail")
            )
            url = self.env["iap.account"].sudo().get_credits_url(service_name="snailmail")
            letter._iap_credits_set_error(
                "CREDIT_ERROR", self.env._("%(error)s Buy credits: %(url)s", error=error, url=url)
            )
            return
        except psycopg2.Error:
            # A database error (serialization failure, lost connection) is not the provider's:
            # it propagates, so that Odoo retries the whole transaction.
            raise
        except Exception as error:  # the dispatch released the credits: nothing is charged
            # Redacted, without the traceback: its frames' text may quote URLs and credentials.
            _logger.error("Snail mail provider %s failed on letter %s: %s", gateway.name, letter.id, log_details(error))
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
            recorded = self._record(account, gateway, letter, item, outcome, credits, reference)
        if outcome.get("success"):
            letter._iap_credits_set_sent(outcome.get("provider_ref"))
        else:
            letter._iap_credits_set_error(outcome.get("error_code") or "UNKNOWN_ERROR", outcome.get("failure_reason"))

    @api.model
    def _accepted_post(self, letter):
        """The outbox row of ``letter`` that a provider accepted, if any."""
        return self.sudo().search([("letter_id", "=", letter.id), ("state", "=", "accepted")], limit=1)

    @api.model
    def _idempotency_key(self, letter):
        """The key sent with an attempt at ``letter``: a new one after each attempt whose
        outcome is known (refused, failed, cancelled), the same one after an attempt whose
        answer was lost, so that a provider honouring it returns the letter it may have
        created instead of printing a second one."""
        concluded = self.sudo().search_count(
            [("letter_id", "=", letter.id), ("state", "in", ("error", "cancelled")), ("uncertain", "=", False)]
        )
        dbuuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        return f"odoo-{dbuuid}-letter-{letter.id}-{concluded + 1}"

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

    @api.model
    def _record(self, account, gateway, letter, item, outcome, credits, reference):
        """The outbox row of one attempt (in the transaction of ``self.env``)."""
        success = bool(outcome.get("success"))
        return (
            self.sudo()
            .create(
                {
                    "letter_id": letter.id,
                    "account_id": account.id,
                    "gateway_id": gateway.id,
                    "company_id": letter.company_id.id,
                    "partner_id": letter.partner_id.id,
                    "user_id": letter.user_id.id,
                    "res_model": letter.model,
                    "res_id": letter.res_id,
                    "document_name": item["description"],
                    "recipient_name": item["address"].get("name"),
                    "address": item["contact_address"],
                    "country_id": letter.country_id.id,
                    "pdf": base64.b64encode(item["pdf"]),
                    "pdf_filename": item["filename"],
                    "pages": item["pages"],
                    "color": item["color"],
                    "duplex": item["duplex"],
                    "cover": item["cover"],
                    "price": credits,
                    "credits": credits if success else 0.0,
                    "state": "accepted" if success else "error",
                    "error_code": False if success else outcome.get("error_code") or "UNKNOWN_ERROR",
                    "failure_reason": False if success else outcome.get("failure_reason"),
                    "provider_ref": outcome.get("provider_ref") or False,
                    "provider_status": outcome.get("provider_status") or False,
                    "idempotency_key": item["idempotency_key"],
                    "retry": not success and bool(outcome.get("retry")),
                    "uncertain": not success and bool(outcome.get("uncertain")),
                    "reference": reference,
                }
            )
            .with_env(self.env)
        )

    # ------------------------------------------------------------
    # STATUS — provider webhooks and the polling job
    # ------------------------------------------------------------

    def _snailmail_apply_status(self, status, cancellation_reason=None, failure_reason=None):
        """Apply a status reported by the provider to accepted letters.

        A letter the provider cancelled (or failed to post) is not posted: its credits are
        given back once, with a ledger row, and the stock letter goes to error (or to
        cancelled, when the company's user cancelled it at the provider) with a chatter
        notification. Any other status is only kept.

        :param str status: the provider's status (e.g. PostGrid's ``printing``, ``cancelled``)
        :param str cancellation_reason: PostGrid's ``cancellation.reason``, if any
        :param str failure_reason: the provider's own words, if any
        """
        for post in self.sudo():
            if post.state != "accepted" or post.provider_status == status:
                continue
            if status not in CANCELLED_STATUSES:
                post.provider_status = status
                continue
            reason = failure_reason or self.env._(
                "The provider %(provider)s cancelled the letter (%(reason)s); its credits were given back.",
                provider=post.gateway_id.name or "-",
                reason=cancellation_reason or status,
            )
            post.write({"provider_status": status, "state": "cancelled", "failure_reason": reason})
            post._give_back()
            letter = post.letter_id
            if not letter or letter.state not in ("sent", "pending"):
                continue
            if cancellation_reason == "user_initiated":
                letter.cancel()
            else:
                code = "FORMAT_ERROR" if cancellation_reason == "invalid_content" else "UNKNOWN_ERROR"
                letter._iap_credits_set_error(code, reason)
            letter.message_id._notify_message_notification_update()

    def _give_back(self):
        """Give the credits of a cancelled letter back, once (keyed by the outbox row)."""
        self.ensure_one()
        if self.credits > 0 and self.account_id.credit_mode == "local":
            self.account_id.sudo()._credits_grant(
                self.credits,
                self.env._("Letter cancelled by the provider: %(document)s", document=self.document_name or "-"),
                kind="adjustment",
                idempotency_key=f"snailmail-post:{self.id}:cancelled",
                origin=self,
            )

    @api.model
    def _cron_poll_status(self, batch_size=100):
        """Scheduled action: ask the providers about letters they accepted, not final yet."""
        polled = self._poll_status(batch_size=batch_size)
        self.env["ir.cron"]._commit_progress(polled, remaining=0)

    @api.model
    def _poll_status(self, batch_size=100):
        """Ask the providers about up to ``batch_size`` letters they accepted, not final yet,
        those asked about longest ago first.

        :return: how many letters were asked about
        """
        since = fields.Datetime.now() - timedelta(days=POLL_DAYS)
        posts = self.sudo().search(
            [
                ("state", "=", "accepted"),
                ("provider_ref", "!=", False),
                ("create_date", ">=", since),
                "|",
                ("provider_status", "=", False),
                ("provider_status", "not in", list(FINAL_STATUSES)),
            ],
            order="polled_at asc nulls first, id",
            limit=batch_size,
        )
        posts.polled_at = fields.Datetime.now()
        for gateway, gateway_posts in posts.grouped("gateway_id").items():
            if gateway:
                gateway._snailmail_poll(gateway_posts)
        return len(posts)

    @api.model
    def _letters_to_retry(self):
        """Letters of local accounts whose last attempt failed at the provider (unreachable,
        server error, timeout), tried fewer than `MAX_AUTOMATIC_RETRIES` times: the stock
        queue job, which retries only credit and address errors, tries them again too."""
        failed = self.sudo().search(
            [("retry", "=", True), ("letter_id.state", "=", "error"), ("letter_id.error_code", "=", "UNKNOWN_ERROR")]
        )
        attempts = self.sudo().search([("letter_id", "in", failed.letter_id.ids)])  # newest first (_order)
        letters = self.env["snailmail.letter"]
        for letter, posts in attempts.grouped("letter_id").items():
            if posts[0].retry and len(posts.filtered("retry")) < MAX_AUTOMATIC_RETRIES:
                letters |= letter
        return letters

    # ------------------------------------------------------------
    # DEMO
    # ------------------------------------------------------------

    @api.model
    def _demo_post_letter(self):
        """Demo data: post one customer invoice of the demo by Send & Print's letter, so the
        Post Outbox shows a letter and the ledger its charge. Skipped, with a warning, when
        no invoice fits or its PDF cannot be rendered (wkhtmltopdf missing)."""
        invoices = self.env["account.move"].search(
            [("move_type", "=", "out_invoice"), ("state", "=", "posted"), ("company_id", "=", self.env.company.id)],
            order="id",
        )
        Letter = self.env["snailmail.letter"]
        invoice = invoices.filtered(lambda move: Letter._is_valid_address(move.partner_id))[:1]
        if not invoice:
            _logger.warning("Demo data: no posted customer invoice with a complete address to post by snail mail")
            return
        letter = Letter.create(
            {
                "user_id": self.env.ref("base.user_admin").id,
                **self.env["account.move.send"]._prepare_snailmail_letter_values(invoice),
            }
        )
        letter._snailmail_print_valid_address()
        if letter.state != "sent":
            _logger.warning("Demo data: the demo letter was not posted: %s", letter.info_msg)
