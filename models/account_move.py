# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging
import re

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare, float_is_zero

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from ..tools import document_text, invoice_extract

_logger = logging.getLogger(__name__)

DIGITIZATION_SERVICE = "invoice_ocr"
DIGITIZABLE_MOVE_TYPES = ("in_invoice", "in_refund")
DIGITIZATION_STATES = [
    ("to_do", "To Do"),
    ("in_progress", "In Progress"),
    ("done", "Done"),
    ("failed", "Failed"),
]
DIGITIZATION_ERRORS = [
    ("unreadable", "Unreadable document"),
    ("no_credit", "Not enough credits"),
    ("engine", "Engine failure"),
    ("no_account", "No local account"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    digitization_state = fields.Selection(
        DIGITIZATION_STATES,
        string="Digitization",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="To Do: queued for the scheduled digitization. Done: the document was read and "
        "the empty fields of the bill were filled. Failed: see the reason; nothing was charged.",
    )
    digitization_error_code = fields.Selection(DIGITIZATION_ERRORS, copy=False, readonly=True)
    digitization_error = fields.Char(string="Digitization Failure", copy=False, readonly=True)
    digitization_attachment_id = fields.Many2one(
        "ir.attachment",
        string="Digitized Document",
        copy=False,
        readonly=True,
        help="The PDF or image sent to the digitization service.",
    )
    digitization_can_request = fields.Boolean(compute="_compute_digitization_can_request")
    digitization_credits_url = fields.Char(compute="_compute_digitization_credits_url")

    # ------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------

    @api.depends("move_type", "state", "digitization_state", "message_main_attachment_id")
    def _compute_digitization_can_request(self):
        for move in self:
            move.digitization_can_request = bool(
                move.move_type in DIGITIZABLE_MOVE_TYPES
                and move.state == "draft"
                and move.digitization_state not in ("to_do", "in_progress")
                and move._digitization_document()
            )

    @api.depends("digitization_error_code")
    def _compute_digitization_credits_url(self):
        self.digitization_credits_url = False
        for move in self.filtered(lambda m: m.digitization_error_code == "no_credit"):
            try:
                move.digitization_credits_url = self.env["iap.account"].get_credits_url(DIGITIZATION_SERVICE)
            except UserError:
                move.digitization_credits_url = False

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def _extend_with_attachments(self, files_data, new=False):
        """Override of `account` to queue the digitization of bills created by upload or
        email when the digitization account asks for it and no e-invoice was decoded."""
        res = super()._extend_with_attachments(files_data, new=new)
        if new and self.move_type in DIGITIZABLE_MOVE_TYPES and self.state == "draft" and not self.invoice_line_ids:
            account = self._digitization_account()
            if account and account.digitization_auto and self._digitization_document():
                self._digitization_enqueue()
        return res

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_digitize(self):
        """Queue the bills for digitization; the scheduled job reads them shortly."""
        for move in self:
            if move.move_type not in DIGITIZABLE_MOVE_TYPES:
                raise UserError(
                    self.env._("Only vendor bills and refunds can be digitized (%(move)s).", move=move.name)
                )
            if move.state != "draft":
                raise UserError(self.env._("Only draft bills can be digitized (%(move)s).", move=move.name))
            if move.digitization_state in ("to_do", "in_progress"):
                raise UserError(self.env._("%(move)s is already queued for digitization.", move=move.name))
            if not move._digitization_document():
                raise UserError(
                    self.env._("Attach a PDF or an image of the bill to %(move)s first.", move=move.display_name)
                )
        self._digitization_enqueue()
        return True

    def action_digitization_buy_credits(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self.digitization_credits_url, "target": "new"}

    # ------------------------------------------------------------
    # QUEUE
    # ------------------------------------------------------------

    def _digitization_enqueue(self):
        for move in self:
            move.write(
                {
                    "digitization_state": "to_do",
                    "digitization_error": False,
                    "digitization_error_code": False,
                    "digitization_attachment_id": move._digitization_document().id,
                }
            )
            move.message_post(body=self.env._("Sent to document digitization."))
        self.env.ref("iap_credits.ir_cron_digitize_documents")._trigger()

    @api.model
    def _cron_digitize_documents(self, batch_size=10):
        """Scheduled action: digitize the queued bills, a committed batch at a time.

        A thin loop: the work is in :meth:`_digitize_queued`, which the tests call. The
        credits of each bill are held and captured in the ledger's own short transactions
        (no lock is held while the OCR engine works), so a commit carries several bills;
        each commit records their outcome and lets the job stop and resume on time.
        """
        while True:
            remaining = self.search_count([("digitization_state", "=", "to_do")])
            if not remaining:
                self.env["ir.cron"]._commit_progress(remaining=0)
                return
            processed = self._digitize_queued(limit=batch_size)
            if not processed or not self.env["ir.cron"]._commit_progress(processed, remaining=remaining - processed):
                return

    @api.model
    def _digitize_queued(self, limit=5):
        """Digitize up to ``limit`` queued bills, each on its own: the failure of one
        (unreadable, engine crash, no credits) is recorded on it and never stops the others.

        :return: how many bills were processed
        """
        moves = self.search([("digitization_state", "=", "to_do")], order="id", limit=limit)
        moves = moves.try_lock_for_update()  # a bill another worker reads is left to it
        for move in moves:
            try:
                with self.env.cr.savepoint():
                    move._digitize()
            except Exception as error:  # never let one bill block the queue
                _logger.exception("Digitization of %s crashed", move)
                move._digitization_set_failed(
                    "engine", self.env._("The digitization crashed: %(error)s", error=str(error) or repr(error))
                )
        return len(moves)

    def _digitize(self):
        """Read one bill with the account's gateway and fill it, under a credit hold.

        The document is priced at `iap.service.credit_unit_price` credits, held before the
        gateway runs, captured when fields were extracted and applied, released otherwise.
        """
        self.ensure_one()
        self.digitization_state = "in_progress"
        account = self._digitization_account()
        if not account or account.credit_mode != "local":
            self._digitization_set_failed(
                "no_account",
                self.env._(
                    "Document digitization needs an IAP account with local credits for %(company)s.",
                    company=self.company_id.name,
                ),
            )
            return
        document = self._digitization_document_payload()
        if not document:
            self._digitization_set_failed("unreadable", self.env._("The attached document is gone."))
            return
        price = account.service_id.credit_unit_price
        outcomes = {}

        def perform(moves):
            results = []
            for move in moves:
                outcome = account._digitization_extract(document)
                if outcome.get("success"):
                    try:
                        with self.env.cr.savepoint():
                            move._digitization_apply(outcome["fields"])
                    except Exception as error:  # a bill that cannot take the values is not charged
                        _logger.exception("Could not fill %s with the digitized fields", move)
                        outcome = {**outcome, "success": False, "error": str(error), "error_code": "engine"}
                outcomes[move.id] = outcome
                results.append(outcome)
            return results

        try:
            with self.env.cr.savepoint():
                result = self.env["iap.credit.dispatch"]._dispatch(
                    account,
                    [self],
                    lambda move: price,
                    perform,
                    self.env._("Digitization of %(bill)s", bill=self.display_name),
                    reference=self.digitization_attachment_id.name,
                    origin=self,
                    settle_after_commit=True,
                )
        except InsufficientCreditError as error:
            self._digitization_set_failed("no_credit", str(error.args[0] if error.args else error))
            return
        except Exception as error:
            _logger.warning("Digitization of %s failed", self, exc_info=True)
            self._digitization_set_failed(
                "engine", self.env._("The digitization engine failed: %(error)s", error=str(error) or repr(error))
            )
            return
        outcome = outcomes.get(self.id) or result.outcomes[0]
        if outcome.get("success"):
            self._digitization_set_done(outcome["fields"], result.credits_charged, account)
        else:
            self._digitization_set_failed(
                outcome.get("error_code") or "unreadable",
                outcome.get("error") or self.env._("No bill fields could be read from the document."),
            )

    def _credits_hold_done(self, hold):
        """Hook of `iap.account._credits_settle`: the credits to capture for ``hold``.

        The bill's digitization is the record of the work: its hold is captured once the
        bill is committed as digitized, and only the bill's latest hold (a later request
        of the same bill made its own); any other is released.

        :return: the hold's credits, or None when its work is not recorded as done
        """
        self.ensure_one()
        if self.digitization_state != "done":
            return None
        latest = (
            self.env["iap.credit.transaction"]
            .sudo()
            .search(
                [("origin_ref", "=", f"{self._name},{self.id}"), ("kind", "=", "reservation")], limit=1, order="id desc"
            )
        )
        return hold.reserved_change if latest == hold else None

    def _digitization_set_done(self, values, credits, account):
        self.write({"digitization_state": "done", "digitization_error": False, "digitization_error_code": False})
        labels = {
            "vendor_vat": self.env._("Vendor VAT"),
            "invoice_number": self.env._("Bill number"),
            "invoice_date": self.env._("Bill date"),
            "due_date": self.env._("Due date"),
            "currency": self.env._("Currency"),
            "amount_untaxed": self.env._("Untaxed amount"),
            "amount_tax": self.env._("Tax"),
            "amount_total": self.env._("Total"),
        }
        found = Markup("").join(
            Markup("<li>%s: %s</li>") % (label, values[key]) for key, label in labels.items() if values.get(key)
        )
        self.message_post(
            body=Markup("%s<ul>%s</ul>%s")
            % (
                self.env._("Document digitized: empty fields of the bill were filled."),
                found,
                self.env._(
                    "%(credits)s %(unit)s spent from %(account)s.",
                    credits=credits,
                    unit=account.service_id.unit_name,
                    account=account.display_name,
                ),
            )
        )

    def _digitization_set_failed(self, code, reason):
        self.write({"digitization_state": "failed", "digitization_error_code": code, "digitization_error": reason})
        self.message_post(
            body=self.env._("Document digitization failed, nothing was charged: %(reason)s", reason=reason)
        )

    # ------------------------------------------------------------
    # DOCUMENT AND ACCOUNT
    # ------------------------------------------------------------

    def _digitization_account(self):
        self.ensure_one()
        return self.env["iap.credit.dispatch"]._get_account(DIGITIZATION_SERVICE, self.company_id)

    def _digitization_document(self):
        """The attachment to read: the main one when it is a PDF or an image, else the latest such."""
        self.ensure_one()
        if self.digitization_attachment_id and self.digitization_state in ("to_do", "in_progress"):
            return self.digitization_attachment_id
        main = self.message_main_attachment_id
        if main and document_text.is_supported(main.mimetype):
            return main
        if not self.id:
            return self.env["ir.attachment"]
        return self.env["ir.attachment"].search(
            [
                ("res_model", "=", self._name),
                ("res_id", "=", self.id),
                ("mimetype", "in", sorted(document_text.SUPPORTED_MIMETYPES)),
            ],
            order="id desc",
            limit=1,
        )

    def _digitization_document_payload(self):
        attachment = self.digitization_attachment_id.sudo()
        if not attachment.exists():
            return None
        return {
            "data": attachment.raw,
            "mimetype": attachment.mimetype,
            "name": attachment.name,
            "document_type": "invoice",
            "exclude_vats": list(
                dict.fromkeys(vat for vat in (self.company_id.vat, self.company_id.partner_id.vat) if vat)
            ),
        }

    # ------------------------------------------------------------
    # FILLING THE BILL
    # ------------------------------------------------------------

    def _digitization_apply(self, values):
        """Fill the empty fields of the draft bill with ``values``; never overwrite.

        :param dict values: fields as returned by an extractor (dates may be ISO strings)
        """
        self.ensure_one()
        vals = {}
        if not self.partner_id:
            partner = self._digitization_find_vendor(values)
            if partner:
                vals["partner_id"] = partner.id
        if not self.ref and values.get("invoice_number"):
            vals["ref"] = values["invoice_number"]
        invoice_date = invoice_extract.to_date(values.get("invoice_date")) if values.get("invoice_date") else None
        due_date = invoice_extract.to_date(values.get("due_date")) if values.get("due_date") else None
        if not self.invoice_date and invoice_date:
            vals["invoice_date"] = invoice_date
        currency = self._digitization_find_currency(values.get("currency"))
        if currency and not self.invoice_line_ids and currency != self.currency_id:
            vals["currency_id"] = currency.id
        if vals:
            self.write(vals)
        if due_date and not self.invoice_payment_term_id and (not self.invoice_date_due or "invoice_date" in vals):
            self.write({"invoice_date_due": due_date})
        if not self.invoice_line_ids:
            self.write({"invoice_line_ids": [fields.Command.create(line) for line in self._digitization_lines(values)]})

    def _digitization_lines(self, values):
        """Invoice lines for the extracted values: the table rows when they add up, else one line."""
        tax = self._digitization_find_tax(values)
        total, untaxed = values.get("amount_total"), values.get("amount_untaxed")
        rows = values.get("lines") or []
        taxes = [fields.Command.set(tax.ids)]  # never the account's default taxes: the bill says which
        if rows and untaxed is not None and float_is_zero(sum(row["amount"] for row in rows) - untaxed, 2):
            return [
                {
                    "name": row.get("description") or "/",
                    "quantity": row["quantity"],
                    "price_unit": row["price_unit"],
                    "tax_ids": taxes,
                }
                for row in rows
            ]
        amount = untaxed if tax and untaxed is not None else (total if total is not None else untaxed)
        if amount is None:
            return []
        return [
            {
                "name": values.get("invoice_number") or self.env._("Digitized bill"),
                "quantity": 1,
                "price_unit": amount,
                "tax_ids": taxes if tax and amount == untaxed else [fields.Command.clear()],
            }
        ]

    def _digitization_find_tax(self, values):
        """The company's purchase tax of the printed rate, when exactly one matches."""
        untaxed, tax_amount = values.get("amount_untaxed"), values.get("amount_tax")
        rate = values.get("tax_rate")
        if rate is None and untaxed and tax_amount is not None:
            rate = round(tax_amount / untaxed * 100, 2)
        if rate is None or float_is_zero(rate, 2):
            return self.env["account.tax"]
        taxes = self.env["account.tax"].search(
            [
                *self.env["account.tax"]._check_company_domain(self.company_id),
                ("type_tax_use", "=", "purchase"),
                ("amount_type", "=", "percent"),
                ("price_include", "=", False),
            ]
        )
        taxes = taxes.filtered(lambda t: float_compare(t.amount, rate, precision_digits=2) == 0)
        return taxes if len(taxes) == 1 else self.env["account.tax"]

    def _digitization_find_currency(self, code):
        if not code:
            return self.env["res.currency"]
        return self.env["res.currency"].search([("name", "=", code)], limit=1)

    def _digitization_find_vendor(self, values):
        """The vendor of the bill: by VAT number, else by name; nobody when unsure.

        A partner is only chosen when exactly one commercial partner matches, and a name
        match is refused when that partner's VAT number differs from the printed one.
        """
        Partner = self.env["res.partner"]
        company_partners = self.env["res.company"].sudo().search([("partner_id", "!=", False)]).partner_id
        domain = [*Partner._check_company_domain(self.company_id), ("id", "not in", company_partners.ids)]
        vat = invoice_extract.compact_vat(values.get("vendor_vat"))
        Partner.flush_model(["vat", "name", "active", "is_company"])
        if vat:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM res_partner WHERE active AND vat IS NOT NULL "
                    "AND regexp_replace(upper(vat), '[^0-9A-Z]', '', 'g') IN %s",
                    (vat, re.sub(r"^[A-Z]+", "", vat)),
                )
            )
            partners = Partner.browse([row[0] for row in self.env.cr.fetchall()]).filtered_domain(domain)
            partners = partners.commercial_partner_id - company_partners
            if len(partners) == 1:
                return partners
            if len(partners) > 1:
                return Partner
        name = (values.get("vendor_name") or "").strip()
        if name:
            pattern = re.sub(r"([\\%_])", r"\\\1", name)  # a literal name, not a pattern
            partners = Partner.search([*domain, ("name", "=ilike", pattern)]).commercial_partner_id - company_partners
            if len(partners) == 1:
                return partners if self._digitization_vat_agrees(partners, vat) else Partner
            if len(partners) > 1:
                return Partner
        text = values.get("text")
        if text:
            partners = self._digitization_partners_named_in(text, domain) - company_partners
            if len(partners) == 1 and self._digitization_vat_agrees(partners, vat):
                return partners
        return Partner

    def _digitization_vat_agrees(self, partner, vat):
        return not vat or not partner.vat or invoice_extract.compact_vat(partner.vat) == vat

    def _digitization_partners_named_in(self, text, domain):
        """Companies whose full name is printed on the document, as a whole phrase."""
        lowered = " ".join(text.lower().split())
        haystack = invoice_extract.normalize(lowered)
        self.env.cr.execute(
            SQL(
                "SELECT id, name FROM res_partner WHERE active AND is_company AND length(name) >= 4 "
                "AND (strpos(%s, lower(name)) > 0 OR strpos(%s, lower(name)) > 0)",
                lowered,
                haystack,
            )
        )
        named = {
            partner_id: " ".join(invoice_extract.normalize(name).split()) for partner_id, name in self.env.cr.fetchall()
        }
        named = {
            partner_id: name
            for partner_id, name in named.items()
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", haystack)
        }
        # "Twin Trading" is printed inside "Twin Trading Unique": only the longest name counts.
        ids = [
            partner_id
            for partner_id, name in named.items()
            if not any(name != other and name in other for other in named.values())
        ]
        return self.env["res.partner"].browse(ids).filtered_domain(domain).commercial_partner_id
