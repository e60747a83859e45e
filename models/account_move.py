# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import re

from odoo import fields, models
from odoo.tools import float_is_zero

from ..tools import document_text, document_values

DIGITIZABLE_MOVE_TYPES = ("in_invoice", "in_refund")
# The rank of the digitization among the decoders of an imported file: above none (0), below
# every e-invoice format (UBL, CII, FatturaPA, Facturae: 20).
DIGITIZATION_DECODER_PRIORITY = 5


class AccountMove(models.Model):
    """Vendor bills and refunds: the ``invoice`` document type of the digitization queue
    (see `iap.digitization.mixin`)."""

    _name = "account.move"
    _inherit = ["account.move", "iap.digitization.mixin"]
    _digitization_document_type = "invoice"

    # ------------------------------------------------------------
    # IMPORT OF UPLOADED AND EMAILED BILLS
    # ------------------------------------------------------------

    def _get_edi_decoder(self, file_data, new=False):
        """Override of `account` to hand the PDF or image of a new bill (uploaded or emailed)
        to the digitization queue when its account digitizes them automatically.

        The decoder ranks below every e-invoice decoder: a bill whose XML can be imported,
        alone or embedded in its PDF, is still imported by them; and since the digitization
        takes the document, stock does not report it as a failed import.
        """
        if new and len(self) == 1 and self._digitization_takes_import(file_data):

            def decoder(invoice, file_data, new=False):
                return invoice._digitization_import()

            return {"priority": DIGITIZATION_DECODER_PRIORITY, "decoder": decoder}
        return super()._get_edi_decoder(file_data, new=new)

    def _digitization_takes_import(self, file_data):
        """Whether the digitization decodes ``file_data`` on this new bill: a PDF or an image
        attached to it (not one extracted from another file), on an empty draft bill of a
        company whose digitization account digitizes uploads and emailed bills."""
        attachment = file_data.get("attachment")
        if not (attachment and document_text.is_supported(file_data.get("mimetype"))):
            return False
        if self.move_type not in DIGITIZABLE_MOVE_TYPES or self.state != "draft" or self.invoice_line_ids:
            return False
        account = self._digitization_account()
        return bool(account and account.digitization_auto)

    def _digitization_import(self):
        """The decoder of :meth:`_get_edi_decoder`: queue the bill's document, within the
        daily caps of emailed bills (a flood of emailed PDFs cannot spend the credits).

        :return: why the document was not taken, or ``None`` (queued, or left for Digitize
            with the reason in the chatter)
        """
        self.ensure_one()
        if not self._digitization_document():
            return self._digitization_no_document_message()
        if not self.env.context.get("from_alias"):
            self._digitization_enqueue(source="upload")
        elif refusal := self._digitization_email_refusal():
            self.message_post(body=refusal)
        else:
            self._digitization_enqueue(source="email")
        return None

    # ------------------------------------------------------------
    # DOCUMENT TYPE HOOKS (see iap.digitization.mixin)
    # ------------------------------------------------------------

    def _digitization_request_depends(self):
        return [*super()._digitization_request_depends(), "move_type", "state"]

    def _digitization_request_refusal(self):
        self.ensure_one()
        if self.move_type not in DIGITIZABLE_MOVE_TYPES:
            return self.env._("Only vendor bills and refunds can be digitized (%(move)s).", move=self.name)
        if self.state != "draft":
            return self.env._("Only draft bills can be digitized (%(move)s).", move=self.name)
        return super()._digitization_request_refusal()

    def _digitization_no_document_message(self):
        return self.env._("Attach a PDF or an image of the bill to %(move)s first.", move=self.display_name)

    def _digitization_unreadable_message(self):
        return self.env._("No bill fields could be read from the document.")

    def _digitization_done_message(self):
        return self.env._("Document digitized: empty fields of the bill were filled.")

    def _digitization_found_labels(self):
        return {
            "vendor_vat": self.env._("Vendor VAT"),
            "invoice_number": self.env._("Bill number"),
            "invoice_date": self.env._("Bill date"),
            "due_date": self.env._("Due date"),
            "currency": self.env._("Currency"),
            "amount_untaxed": self.env._("Untaxed amount"),
            "amount_tax": self.env._("Tax"),
            "amount_total": self.env._("Total"),
        }

    def _digitization_sender_email(self):
        return self.invoice_source_email

    def _digitization_sender_domain(self, sender):
        pattern = re.sub(r"([\\%_])", r"\\\1", sender)  # a literal address, not a pattern
        return [("invoice_source_email", "=ilike", pattern)]

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
        invoice_date = document_values.to_date(values.get("invoice_date")) if values.get("invoice_date") else None
        due_date = document_values.to_date(values.get("due_date")) if values.get("due_date") else None
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
