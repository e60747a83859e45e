# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..tools.snailmail_pages import estimated_document_pages, letter_pages
from .iap_account import in_test_transaction
from .iap_account_snailmail import SNAILMAIL_SERVICE

_logger = logging.getLogger(__name__)


class SnailmailLetter(models.Model):
    """Letters of companies whose snail mail account is local are posted through local
    credits and the account's provider (`iap.snailmail.post`); the others go to Odoo's
    IAP server as in stock. Everything users see — Send & Print *by Post*, the letter's
    states and error codes, the chatter's failure notifications, *Send Now*, the letters
    in error, the queue job — is the stock one."""

    _inherit = "snailmail.letter"

    iap_credits_local = fields.Boolean(
        compute="_compute_iap_credits_price", string="Local Credits", help="The letter is paid with local credits."
    )
    iap_credits_pages = fields.Integer(
        compute="_compute_iap_credits_price",
        string="Pages",
        help="Pages of the letter as posted, cover page included (estimated while its PDF is not rendered).",
    )
    iap_credits_price = fields.Float(
        compute="_compute_iap_credits_price",
        string="Price",
        digits="IAP Credits",
        help="Credits of the letter: charged when the provider accepted it, else what it will cost when "
        "posted (never charged when it fails).",
    )
    iap_credits_price_state = fields.Selection(
        [
            ("charged", "Charged"),
            ("given_back", "Given back (cancelled by the provider)"),
            ("to_charge", "Charged when posted"),
            ("estimated", "Estimated (the PDF is not rendered yet)"),
        ],
        compute="_compute_iap_credits_price",
        string="Price Status",
    )

    @api.depends("state", "attachment_id", "color", "cover", "duplex", "country_id", "company_id")
    def _compute_iap_credits_price(self):
        letters = self.filtered("id")
        posts = (
            self.env["iap.snailmail.post"]
            .sudo()
            .search([("letter_id", "in", letters.ids), ("state", "in", ("accepted", "cancelled"))])
        )
        post_of = {}
        for post in posts:  # newest first: an accepted attempt wins over a cancelled one
            if post.letter_id not in post_of or post.state == "accepted":
                post_of[post.letter_id] = post
        accounts = {company: self._iap_credits_local_account(company) for company in self.company_id}
        for letter in self:
            account = accounts.get(letter.company_id) or self.env["iap.account"]
            post = post_of.get(letter._origin)
            letter.iap_credits_local = bool(account) or bool(post)
            if post:
                letter.iap_credits_pages = post.pages
                letter.iap_credits_price = post.credits
                letter.iap_credits_price_state = "charged" if post.state == "accepted" else "given_back"
            elif account:
                estimate = letter._iap_credits_estimate(account)
                letter.iap_credits_pages = estimate["pages"]
                letter.iap_credits_price = estimate["credits"]
                letter.iap_credits_price_state = "estimated" if estimate["estimated"] else "to_charge"
            else:
                letter.iap_credits_pages = 0
                letter.iap_credits_price = 0.0
                letter.iap_credits_price_state = False

    @api.model_create_multi
    def create(self, vals_list):
        """Override of `snailmail`: a letter is paid by its company's account, so a user
        only creates letters of the companies they belong to (stock lets any internal user
        create letters for any company over RPC)."""
        self._iap_credits_check_companies([vals.get("company_id") for vals in vals_list])
        return super().create(vals_list)

    def write(self, vals):
        if "company_id" in vals:
            self._iap_credits_check_companies([vals["company_id"]])
        return super().write(vals)

    def _iap_credits_check_companies(self, company_ids):
        if self.env.su:
            return
        foreign = {company_id for company_id in company_ids if company_id} - set(self.env.user.company_ids.ids)
        if foreign:
            raise AccessError(self.env._("You cannot send letters paid by a company you do not belong to."))

    @api.model
    def _iap_credits_local_account(self, company):
        """The local snail mail account that pays for ``company``'s letters, or an empty
        recordset when its letters go to Odoo's IAP. The account the letters are charged on
        (`iap.credit.dispatch._get_account`, the stock `iap.account.get`), found without
        creating any: prices are shown in forms.

        :return: `iap.account` (sudo)
        """
        account = (
            self.env["iap.account"]
            .sudo()
            .search(
                [
                    ("service_name", "=", SNAILMAIL_SERVICE),
                    ("account_token", "!=", False),
                    "|",
                    ("company_ids", "in", company.ids),
                    ("company_ids", "=", False),
                ],
                order="id desc",
                limit=1,
            )
        )
        return account if account.credit_mode == "local" else account.browse()

    @api.model
    def _iap_credits_document_pages(self, record):
        """Pages of the document a letter about ``record`` prints, before the letter renders
        it: those of the invoice's PDF when it was generated (Send & Print renders the same
        report), else an estimate from the invoice's lines; one page for other documents.

        :return: ``(pages, estimated)``
        """
        if not record or record._name != "account.move":
            return 1, True
        pdf = record.invoice_pdf_report_id.raw or b""
        pages = self._count_pages_pdf(pdf) if pdf.startswith(b"%PDF") else 0
        if pages:
            return pages, False
        return estimated_document_pages(record.invoice_line_ids.mapped("name")), True

    @api.model
    def _iap_credits_price_estimate(self, account, record, country, color, cover, duplex):
        """The price of a letter about ``record`` not rendered yet (the Send & Print wizard).

        :param account: the local `iap.account` paying for it
        :param country: the destination `res.country`
        :param bool color: printed in colour; ``cover``/``duplex``: the stock options
        :return: ``{"pages", "estimated", "credits"}``
        """
        document_pages, estimated = self._iap_credits_document_pages(record)
        pages = letter_pages(document_pages, cover=cover, duplex=duplex)
        credits = account.service_id._snailmail_letter_price(pages, color=color, country=country)
        return {"pages": pages, "estimated": estimated, "credits": credits}

    def _iap_credits_estimate(self, account):
        """The price of this letter if it is posted now: the pages of its PDF when stock has
        rendered it (cover page included), else estimated from its document.

        :return: ``{"pages", "estimated", "credits"}``
        """
        self.ensure_one()
        pdf = self.attachment_id.raw or b""
        pages = self._count_pages_pdf(pdf) if pdf.startswith(b"%PDF") else 0
        estimated = not pages
        if estimated:
            record = self.env[self.model].sudo().browse(self.res_id).exists() if self.model in self.env else None
            document_pages, estimated = self._iap_credits_document_pages(record)
            pages = letter_pages(document_pages, cover=self.cover, duplex=self.duplex)
        credits = account.service_id._snailmail_letter_price(pages, color=self.color, country=self.country_id)
        return {"pages": pages, "estimated": estimated, "credits": credits}

    def _iap_credits_split(self):
        """The letters by the account that pays for them.

        :return: ``({local account: letters}, letters of Odoo IAP accounts)``
        """
        local, stock = {}, self.browse()
        dispatch = self.env["iap.credit.dispatch"]
        for company, letters in self.grouped("company_id").items():
            account = dispatch._get_account(SNAILMAIL_SERVICE, company)
            if account.credit_mode == "local":
                local[account] = local.get(account, self.browse()) | letters
            else:
                stock |= letters
        return local, stock

    def _snailmail_print(self, immediate=True):
        """Override of `snailmail`: letters of local accounts are posted here; queued ones
        (Send & Print, which does not post at once) wake the stock queue job up instead of
        waiting for its daily run.

        Stock commits after each letter posted, so that a letter the provider accepted is
        never posted again by a retry; so does this, except in a test's own transaction,
        which must never be committed (the outbox row committed with the charge guards the
        letter there).
        """
        local, stock = self._iap_credits_split()
        if stock:
            super(SnailmailLetter, stock)._snailmail_print(immediate=immediate)
        letters = self.browse().union(*local.values())
        if not letters:
            return
        valid = letters.filtered(lambda letter: letter._is_valid_address(letter))
        (letters - valid)._snailmail_print_invalid_address()
        if not valid:
            return
        if not immediate:
            self.env.ref("snailmail.snailmail_print")._trigger()
            return
        for letter in valid:
            letter._snailmail_print_valid_address()
            if not in_test_transaction(self.env.cr):
                self.env.cr.commit()  # pylint: disable=invalid-commit

    def _snailmail_print_valid_address(self):
        """Override of `snailmail`: post the letters of local accounts with local credits."""
        local, stock = self._iap_credits_split()
        for account, letters in local.items():
            self.env["iap.snailmail.post"]._post_letters(account, letters)
        if stock:
            return super(SnailmailLetter, stock)._snailmail_print_valid_address()
        return None

    @api.model
    def _snailmail_cron(self, autocommit=True):
        """Override of `snailmail`: the queue job also retries the letters of local accounts
        whose provider failed (unreachable, server error, timeout), a few times; stock
        retries only credit, attachment and address errors."""
        res = super()._snailmail_cron(autocommit=autocommit)
        for letter in self.env["iap.snailmail.post"]._letters_to_retry():
            letter._snailmail_print()
            if autocommit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return res

    # ------------------------------------------------------------
    # OUTCOMES — the stock letter, its notifications and chatter message
    # ------------------------------------------------------------

    def _iap_credits_set_sent(self, provider_ref):
        """The letter was accepted by the provider: the stock *sent* state and notification."""
        note = Markup(self.env._("The document was correctly sent by post.<br>The tracking id is %s")) % (
            provider_ref or "-"
        )
        self.write({"info_msg": note, "state": "sent", "error_code": False})
        self.notification_ids.sudo().write(
            {"notification_status": "sent", "failure_type": False, "failure_reason": False}
        )
        self.env["iap.account"]._send_success_notification(message=self.env._("Snail Mails are successfully sent"))

    def _iap_credits_set_error(self, error_code, reason, note_only=False):
        """The letter was not posted (nothing charged): the stock error state, code and
        chatter notification, with the reason.

        :param str error_code: a stock error code (``MISSING_REQUIRED_FIELDS``, ...)
        :param reason: why, translated (text or markup)
        :param bool note_only: the letter's state and message are set already (by stock)
        """
        note = Markup(self.env._("An error occurred when sending the document by post.<br>Error: %s")) % (
            reason or self._get_error_message(error_code)
        )
        if note_only:
            note = reason or note
        else:
            self.write({"info_msg": note, "state": "error", "error_code": error_code})
        self.notification_ids.sudo().write(
            {
                "notification_status": "exception",
                "failure_type": self._get_failure_type(error_code),
                "failure_reason": note,
            }
        )
