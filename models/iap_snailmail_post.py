# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The Post Outbox: one row per attempt at posting a letter with local credits.

Its behaviour, by concern (each file extends ``iap.snailmail.post``):
``iap_snailmail_post_sending`` (posting letters through the dispatch layer) and
``iap_snailmail_post_status`` (the provider's reports, the state machine, the retries).
"""

import base64
import logging

from odoo import api, fields, models

from odoo.addons.snailmail.models.snailmail_letter import ERROR_CODES

_logger = logging.getLogger(__name__)


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
    # ATTEMPTS — the rows of the outbox
    # ------------------------------------------------------------

    @api.model
    def _accepted_post(self, letter):
        """The outbox row of ``letter`` that a provider accepted, if any."""
        return self._accepted_attempt([("letter_id", "=", letter.id)])

    @api.model
    def _accepted_attempt(self, attempts_domain):
        """The attempt of ``attempts_domain`` (the attempts at one letter) that a provider accepted, if any."""
        return self.sudo().search([*attempts_domain, ("state", "=", "accepted")], limit=1)

    @api.model
    def _idempotency_key(self, letter):
        """The key sent with an attempt at ``letter`` (see `_attempt_key`)."""
        dbuuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        return self._attempt_key([("letter_id", "=", letter.id)], f"odoo-{dbuuid}-letter-{letter.id}")

    @api.model
    def _attempt_key(self, attempts_domain, prefix):
        """The key sent with an attempt at one letter (whose attempts are ``attempts_domain``):
        a new one after each attempt whose outcome is known (refused, failed, cancelled),
        the same one after an attempt whose answer was lost, so that a provider honouring
        it returns the letter it may have created instead of printing a second one."""
        concluded = self.sudo().search_count(
            [*attempts_domain, ("state", "in", ("error", "cancelled")), ("uncertain", "=", False)]
        )
        return f"{prefix}-{concluded + 1}"

    @api.model
    def _record(self, account, gateway, origin, item, outcome, credits, reference):
        """The outbox row of one attempt (in the transaction of ``self.env``).

        :param dict origin: the values of where the letter comes from: ``letter_id``,
            ``company_id``, ``partner_id``, ``user_id``, ``res_model``, ``res_id``,
            ``country_id`` (and the server mode's client fields)
        """
        success = bool(outcome.get("success"))
        return (
            self.sudo()
            .create(
                {
                    **origin,
                    "account_id": account.id,
                    "gateway_id": gateway.id,
                    "document_name": item["description"],
                    "recipient_name": item["address"].get("name"),
                    "address": item["contact_address"],
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
