# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The price of a letter paid with local credits: charged, given back, or estimated before
its PDF is rendered (shown on the letter and in Send & Print)."""

import logging

from odoo import api, fields, models

from ..tools.snailmail_pages import estimated_document_pages, letter_pages
from .iap_account_snailmail import SNAILMAIL_SERVICE

_logger = logging.getLogger(__name__)


class SnailmailLetterPrice(models.Model):
    """The price of letters paid with local credits, as the letter and Send & Print show it."""

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

    @api.model
    def _iap_credits_local_account(self, company):
        """The local snail mail account that pays for ``company``'s letters, or an empty
        recordset when its letters go to Odoo's IAP. The account the letters are charged on
        (`iap.account._account_for`, the stock `iap.account.get`), found without
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
