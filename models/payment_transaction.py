# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The binding of a payment transaction to a credit purchase (or its refund): who may set
or change it, its signature, and the refusals of transactions that no longer match it.
What a paid one grants is in `payment_transaction_credits.py`."""

import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import consteq, float_compare, float_repr
from odoo.tools.misc import hmac

_logger = logging.getLogger(__name__)

# What binds a transaction to a credit purchase: set by the buy flow at creation, never after.
IAP_BINDING_FIELDS = {"iap_credit_account_id", "iap_credit_pack_id", "iap_credits", "iap_credit_signature"}
# Stock fields that decide what a transaction bound to a credit purchase (or to its refund)
# grants or takes back. Only the payment provider's own flow, which runs as superuser
# (webhooks, the status page, `_refund`), changes them; users who may write payment
# transactions (Billing, Accounting) cannot.
IAP_PROTECTED_FIELDS = {
    "state",
    "amount",
    "currency_id",
    "provider_id",
    "operation",
    "source_transaction_id",
    "child_transaction_ids",
    "reference",
    "is_live",
    "partner_id",
}
_SIGNATURE_SCOPE = "iap_credits.payment_transaction"


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    iap_credit_account_id = fields.Many2one(
        "iap.account",
        string="IAP Account",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
        help="The IAP account that receives the credits bought with this transaction.",
    )
    iap_credit_pack_id = fields.Many2one(
        "iap.credit.pack",
        string="Credit Pack",
        readonly=True,
        copy=False,
        ondelete="restrict",
        help="The credit pack bought with this transaction.",
    )
    iap_credits = fields.Float(
        string="Credits Bought",
        digits="IAP Credits",
        readonly=True,
        copy=False,
        help="Credits (bonus included) granted when the payment is confirmed: copied from the pack "
        "when the transaction is created, so that a later change of the pack changes nothing.",
    )
    iap_credit_signature = fields.Char(
        string="Credit Purchase Signature",
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="Signs, with the database secret, what the buy flow fixed when it created this purchase "
        "(or what the stock refund fixed for its refund): a transaction whose values no longer match "
        "grants or takes back nothing.",
    )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        """Override of `payment` to keep the binding to a credit purchase out of users' hands.

        Only the buy flow (`/iap_credits/transaction`, as superuser) creates a purchase, and
        only the stock refund (`_refund`, as superuser) creates its refunds; both are signed
        here. A user who may create payment transactions (Billing) can create neither.
        """
        if not self.env.su:
            for vals in vals_list:
                if IAP_BINDING_FIELDS & {field for field, value in vals.items() if value}:
                    raise AccessError(self.env._("Only the Buy Credit page creates credit purchases."))
                if self._iap_credits_is_bound_id(vals.get("source_transaction_id")):
                    raise AccessError(
                        self.env._("A credit purchase is refunded only through its payment provider (Refund).")
                    )
        else:
            for vals in vals_list:
                if vals.get("iap_credit_account_id"):
                    self._iap_credits_check_create_values(vals)
        txs = super().create(vals_list)
        if self.env.su:
            for tx in txs.filtered(lambda t: t._iap_credits_bound()):
                tx.iap_credit_signature = tx._iap_credits_compute_signature()
        return txs

    def write(self, vals):
        """Override of `payment` to refuse, to everyone but the superuser, any change of what a
        credit purchase or its refund grants or takes back.

        E.g. a Billing user setting `state` to done on a pending purchase and calling
        `action_post_process` would otherwise get credits without paying.
        """
        if not self.env.su:
            if IAP_BINDING_FIELDS & set(vals):
                raise AccessError(self.env._("The credits bought by a payment transaction cannot be changed."))
            if self._iap_credits_is_bound_id(vals.get("source_transaction_id")) or (
                IAP_PROTECTED_FIELDS & set(vals) and any(tx._iap_credits_bound() for tx in self.sudo())
            ):
                raise AccessError(
                    self.env._(
                        "The payment transactions of credit purchases are updated by their payment provider only: "
                        "%(fields)s cannot be changed.",
                        fields=", ".join(sorted(IAP_PROTECTED_FIELDS & set(vals))) or "source_transaction_id",
                    )
                )
        return super().write(vals)

    @api.model
    def _iap_credits_check_create_values(self, vals):
        """Refuse a purchase whose credits, amount or currency are not those of its pack.

        :raise ValidationError: when they differ
        """
        account = self.env["iap.account"].browse(vals["iap_credit_account_id"])
        pack = self.env["iap.credit.pack"].browse(vals.get("iap_credit_pack_id"))
        if not pack.exists() or pack.service_id != account.service_id:
            raise ValidationError(self.env._("A credit purchase needs a pack of its account's service."))
        if not account.service_id.has_local_engine:
            raise ValidationError(
                self.env._(
                    "%(service)s has no local engine in this database: its credits are bought from Odoo IAP.",
                    service=account.service_id.name,
                )
            )
        currency = pack.currency_id
        if (
            vals.get("currency_id") != currency.id
            or currency.compare_amounts(vals.get("amount") or 0.0, pack.price) != 0
            or float_compare(vals.get("iap_credits") or 0.0, pack.total_credits, precision_digits=4) != 0
        ):
            raise ValidationError(
                self.env._(
                    "A purchase of the pack %(pack)s must be of %(credits)s credits for %(price)s %(currency)s.",
                    pack=pack.display_name,
                    credits=pack.total_credits,
                    price=pack.price,
                    currency=currency.name,
                )
            )

    # ------------------------------------------------------------
    # BINDING — what the buy flow signed, and refusals
    # ------------------------------------------------------------

    def _iap_credits_bound(self):
        """Whether this transaction is a credit purchase or the refund of one."""
        self.ensure_one()
        return bool(self.iap_credit_account_id or self.source_transaction_id.iap_credit_account_id)

    @api.model
    def _iap_credits_is_bound_id(self, tx_id):
        if not isinstance(tx_id, int) or not tx_id:
            return False
        tx = self.sudo().browse(tx_id).exists()
        return bool(tx) and tx._iap_credits_bound()

    def _iap_credits_compute_signature(self):
        """The signature of what a purchase (or a refund of one) was created for.

        A purchase signs its account, pack, credits, amount, currency, provider and mode;
        a refund its source transaction, amount and currency. The transaction's id is
        signed too, so that a signature is worth nothing on another transaction.
        """
        self.ensure_one()
        tx = self.sudo()
        if tx.iap_credit_account_id:
            values = (
                "purchase",
                tx.id,
                tx.reference,
                tx.iap_credit_account_id.id,
                tx.iap_credit_pack_id.id,
                float_repr(tx.iap_credits, 4),
                float_repr(tx.amount, 6),
                tx.currency_id.id,
                tx.provider_id.id,
                bool(tx.is_live),
            )
        else:
            values = (
                "refund",
                tx.id,
                tx.reference,
                tx.source_transaction_id.id,
                float_repr(tx.amount, 6),
                tx.currency_id.id,
            )
        return hmac(tx.env(su=True), _SIGNATURE_SCOPE, "|".join(str(value) for value in values))

    def _iap_credits_signature_valid(self):
        self.ensure_one()
        signature = self.sudo().iap_credit_signature
        return bool(signature) and consteq(signature, self._iap_credits_compute_signature())

    def _iap_credits_refuse(self, account, reason):
        """Refuse loudly: an error in the log and a message on the account, nothing moves."""
        self.ensure_one()
        _logger.error(
            "Refused to move credits of IAP account %s for payment transaction %s (id %s): %s",
            account.id,
            self.reference,
            self.id,
            reason,
        )
        account.sudo().message_post(
            body=self.env._(
                "Payment %(reference)s moved no credits: %(reason)s. Ask your administrator to check it.",
                reference=self.reference,
                reason=reason,
            )
        )
