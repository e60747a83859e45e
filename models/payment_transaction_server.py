# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: the customer invoice of a credit pack a client paid on `/iap/1/credit`."""

import logging

from odoo import Command, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    iap_credit_invoice_id = fields.Many2one(
        "account.move",
        string="Credit Pack Invoice",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
        help="The customer invoice of the credit pack a client account paid with this transaction "
        "(server mode), paid by it.",
    )

    def write(self, vals):
        """Override of `payment` to keep the invoice of a client's purchase out of users' hands.

        E.g. a Billing user linking another invoice to a pending purchase would make the payment
        pay that invoice instead of the pack's.
        """
        if not self.env.su and (
            "iap_credit_invoice_id" in vals
            or ("invoice_ids" in vals and any(tx._iap_credits_is_client_purchase() for tx in self.sudo()))
        ):
            raise AccessError(self.env._("The invoice of a client's credit purchase cannot be changed."))
        return super().write(vals)

    def _iap_credits_is_client_purchase(self):
        """Whether this is a client account's own purchase, made on its Buy Credit page (the
        partner paying is the client)."""
        self.ensure_one()
        account = self.iap_credit_account_id
        return bool(account.client_partner_id) and self.partner_id == account.client_partner_id

    def _post_process(self):
        """Override of `payment` to invoice the pack of a client's paid purchase first, so that the
        stock post-processing that follows (`account_payment`) pays the invoice with the payment it
        creates for the transaction, and the grant then adds the credits."""
        for tx in self.filtered(lambda t: t.state == "done" and t.operation not in ("refund", "validation")):
            if tx.sudo()._iap_credits_is_client_purchase():
                tx._iap_credits_client_invoice()
        return super()._post_process()

    def _iap_credits_client_invoice(self):
        """Create and post the customer invoice of this paid client purchase, once.

        The transaction row is locked first: a concurrent post-processing (status page and cron)
        waits, then fails to serialize and is retried, and finds the invoice. A transaction that
        must not grant (see `_iap_credits_purchase_error`) is not invoiced either: its grant
        refuses it loudly; nor is one whose payment was already booked without an invoice.

        :return: the invoice (`account.move`), or an empty recordset
        """
        self.ensure_one()
        tx = self.sudo()
        self.env.cr.execute(SQL("SELECT id FROM payment_transaction WHERE id = %s FOR NO KEY UPDATE", tx.id))
        tx.invalidate_recordset(["iap_credit_invoice_id", "payment_id"])
        if tx.iap_credit_invoice_id or tx.payment_id or tx._iap_credits_purchase_error():
            return tx.iap_credit_invoice_id
        pack, account = tx.iap_credit_pack_id, tx.iap_credit_account_id
        # The invoice speaks the client's language.
        account = account.with_context(lang=account.client_partner_id.lang or self.env.lang)
        env = account.env
        invoice = (
            self.env["account.move"]
            .sudo()
            .with_company(tx.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": account.client_partner_id.id,
                    "currency_id": tx.currency_id.id,
                    "invoice_origin": tx.reference,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": env._(
                                    "%(pack)s: %(credits)s for %(account)s",
                                    pack=pack.name,
                                    credits=account._format_credits(tx.iap_credits),
                                    account=account.display_name,
                                ),
                                "quantity": 1,
                                # The pack's price is what the client pays, whatever the taxes.
                                "price_unit": tx.amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        invoice.action_post()
        tx.write({"iap_credit_invoice_id": invoice.id, "invoice_ids": [Command.link(invoice.id)]})
        _logger.info("Invoice %s of payment %s (IAP account %s)", invoice.name, tx.reference, account.id)
        return invoice
