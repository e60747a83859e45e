# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import re

from odoo import api, fields, models

from odoo.addons.iap_credits.tools import document_values

# The stock expense categories (products of hr_expense) for what a receipt is for, as
# guessed by `tools.receipt_extract.guess_category`.
CATEGORY_PRODUCTS = {
    "meal": "hr_expense.expense_product_meal",
    "travel": "hr_expense.expense_product_travel_accommodation",
    "communication": "hr_expense.expense_product_communication",
    "gift": "hr_expense.expense_product_gift",
}
# The category stock gives to an expense created from an uploaded receipt: not a choice of
# the employee, so digitization may replace it.
PLACEHOLDER_PRODUCT = "hr_expense.product_product_no_cost"


class HrExpense(models.Model):
    """Expenses: the ``receipt`` document type of the digitization queue (see
    `iap.digitization.mixin` in `iap_credits`): same queue, pipeline and price as bills."""

    _name = "hr.expense"
    _inherit = ["hr.expense", "iap.digitization.mixin"]
    _digitization_document_type = "receipt"

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model
    def create_expense_from_attachments(self, attachment_ids=None, view_type="list"):
        """Override of `hr_expense` to queue the receipts uploaded in Expenses for
        digitization, when the account's *Digitize Uploaded Receipts* is on."""
        expense_ids = super().create_expense_from_attachments(attachment_ids=attachment_ids, view_type=view_type)
        expenses = self.browse(expense_ids)
        for company, company_expenses in expenses.grouped("company_id").items():
            account = self.env["iap.account"]._account_for("invoice_ocr", company)
            if account and account.digitization_auto_receipts:
                company_expenses.filtered(lambda e: e._digitization_document())._digitization_enqueue(source="upload")
        return expense_ids

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """Override of `hr_expense`: an expense created from an email to the expense alias is
        marked, so that its receipt (attached right after, by the mail gateway) is queued."""
        return super(HrExpense, self.with_context(iap_digitization_email=True)).message_new(
            msg_dict, custom_values=custom_values
        )

    def _message_post_after_hook(self, message, msg_values):
        """Override of `mail` to queue the receipt of an emailed expense, within the daily
        caps on emailed documents (see `iap.digitization.mixin._digitization_email_refusal`)."""
        res = super()._message_post_after_hook(message, msg_values)
        if len(self) == 1 and self.env.context.get("iap_digitization_email") and not self.digitization_state:
            account = self._digitization_account()
            if (
                account
                and account.digitization_auto_receipts
                and self.state == "draft"
                and self._digitization_document()
            ):
                refusal = self._digitization_email_refusal()
                if refusal:  # posted outside the marked context: this hook must not queue again
                    self.with_context(iap_digitization_email=False).message_post(body=refusal)
                else:
                    self._digitization_enqueue(source="email")
        return res

    # ------------------------------------------------------------
    # DOCUMENT TYPE HOOKS (see iap.digitization.mixin)
    # ------------------------------------------------------------

    def _digitization_request_depends(self):
        return [*super()._digitization_request_depends(), "state"]

    def _digitization_request_refusal(self):
        self.ensure_one()
        if self.state != "draft":
            return self.env._("Only draft expenses can be digitized (%(expense)s).", expense=self.display_name)
        return super()._digitization_request_refusal()

    def _digitization_no_document_message(self):
        return self.env._("Attach a photo, scan or PDF of the receipt to %(expense)s first.", expense=self.display_name)

    def _digitization_unreadable_message(self):
        return self.env._("No receipt fields could be read from the document.")

    def _digitization_done_message(self):
        return self.env._("Receipt digitized: empty fields of the expense were filled.")

    def _digitization_found_labels(self):
        return {
            "vendor_name": self.env._("Merchant"),
            "vendor_vat": self.env._("Merchant VAT"),
            "date": self.env._("Date"),
            "currency": self.env._("Currency"),
            "amount_total": self.env._("Total"),
            "amount_tax": self.env._("Tax"),
            "category": self.env._("Category"),
        }

    def _digitization_sender_email(self):
        employee = self.employee_id.sudo()
        return employee.work_email or employee.user_id.email

    def _digitization_sender_domain(self, sender):
        # Emailed expenses belong to the employee whose address sent them.
        return [("employee_id", "=", self.employee_id.id)]

    # ------------------------------------------------------------
    # FILLING THE EXPENSE
    # ------------------------------------------------------------

    def _digitization_apply(self, values):
        """Fill the empty fields of the draft expense with the receipt's ``values``; never
        overwrite what the employee typed.

        Empty means: no merchant (vendor), no total (0), no taxes; the date still the day the
        expense was created (its default), the description and category still those stock
        gives to an uploaded receipt. The tax is set as the company's purchase tax of the
        printed rate (expenses compute their tax amount from it), when exactly one matches.

        :param dict values: fields as returned by the ``receipt`` extractor
        """
        self.ensure_one()
        vals = {}
        if not self.vendor_id:
            partner = self._digitization_find_vendor(values)
            if partner:
                vals["vendor_id"] = partner.id
        receipt_date = document_values.to_date(values.get("date")) if values.get("date") else None
        if receipt_date and self._digitization_date_is_default():
            vals["date"] = receipt_date
        if values.get("vendor_name") and self._digitization_name_is_default():
            vals["name"] = values["vendor_name"]
        if self._digitization_product_is_default():
            product = self._digitization_guess_product(values)
            if product and product != self.product_id:
                vals["product_id"] = product.id
        if vals:
            self.write(vals)
        total = values.get("amount_total")
        if total and not self.product_has_cost and self.currency_id.is_zero(self.total_amount_currency):
            currency = self._digitization_find_currency(values.get("currency"))
            if currency and currency != self.currency_id:
                self.write({"currency_id": currency.id})
            self.write({"total_amount_currency": total})
        if not self.tax_ids:
            total, tax = values.get("amount_total"), values.get("amount_tax")
            rate_values = {"tax_rate": values.get("tax_rate")}
            if total and tax is not None:
                rate_values.update(amount_untaxed=round(total - tax, 2), amount_tax=tax)
            tax_record = self._digitization_find_tax(rate_values, price_include=None)
            if tax_record:
                self.write({"tax_ids": [fields.Command.set(tax_record.ids)]})

    def _digitization_date_is_default(self):
        """Whether the expense date is still its default: empty, or the day it was created."""
        if not self.date:
            return True
        created = fields.Date.context_today(self, self.create_date) if self.create_date else None
        return self.date == created

    def _digitization_name_is_default(self):
        """Whether the description is still stock's: empty, "Untitled Expense ..." (upload),
        or the category's name (the description is computed from it)."""
        name = (self.name or "").strip()
        if not name or name == self.product_id.display_name:
            return True
        untitled = self._get_untitled_expense_name("").strip()
        return name.startswith(untitled) or name.startswith("Untitled Expense")

    def _digitization_product_is_default(self):
        """Whether the category is still stock's: none, or the generic one of uploads."""
        placeholder = self.env.ref(PLACEHOLDER_PRODUCT, raise_if_not_found=False)
        return not self.product_id or self.product_id == placeholder

    def _digitization_guess_product(self, values):
        """The expense category for the receipt: the stock category of what it was for (a
        meal, travel, communication, a gift), else the one expensable category of the
        company whose name is printed on the receipt; nothing when unsure."""
        Product = self.env["product.product"]
        domain = [*Product._check_company_domain(self.company_id), ("can_be_expensed", "=", True)]
        xmlid = CATEGORY_PRODUCTS.get(values.get("category"))
        product = self.env.ref(xmlid, raise_if_not_found=False) if xmlid else None
        if product and product.filtered_domain(domain):
            return product
        text = document_values.normalize(" ".join((values.get("text") or "").lower().split()))
        if not text:
            return Product
        named = Product.search(domain).filtered(
            lambda p: len(p.name or "") >= 4
            and re.search(rf"(?<!\w){re.escape(document_values.normalize(p.name.lower()))}(?!\w)", text)
        )
        return named if len(named) == 1 else Product
