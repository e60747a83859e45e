# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_round

_logger = logging.getLogger(__name__)


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    iap_credit_account_id = fields.Many2one(
        "iap.account",
        string="IAP Account",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="The IAP account that receives the credits bought with this transaction.",
    )
    iap_credit_pack_id = fields.Many2one(
        "iap.credit.pack",
        string="Credit Pack",
        readonly=True,
        ondelete="restrict",
        help="The credit pack bought with this transaction.",
    )
    iap_credits = fields.Float(
        string="Credits Bought",
        digits="IAP Credits",
        readonly=True,
        help="Credits (bonus included) granted when the payment is confirmed: copied from the pack "
        "when the transaction is created, so that a later change of the pack changes nothing.",
    )

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _post_process(self):
        """Override of `payment` to grant the credits of a paid pack, or take back those of a refund.

        Post-processing runs from the payment status page, the payment provider's webhook
        followed by the post-processing cron, or by hand, possibly several times: the
        ledger's idempotency key (one per payment transaction) grants the credits once.
        """
        res = super()._post_process()
        for tx in self.filtered(lambda t: t.state == "done"):
            if tx.operation == "refund" and tx.source_transaction_id.iap_credit_account_id:
                tx._iap_credits_take_back()
            elif tx.operation != "refund" and tx.iap_credit_account_id:
                tx._iap_credits_grant_purchase()
        return res

    def _iap_credits_idempotency_key(self):
        self.ensure_one()
        return f"payment.transaction:{self.id}"

    def _iap_credits_ledger_row(self):
        """The ledger row recorded for this transaction (purchase or refund), if any."""
        self.ensure_one()
        account = (self.source_transaction_id if self.operation == "refund" else self).iap_credit_account_id
        if not account:
            return self.env["iap.credit.transaction"]
        return account._credits_find_movement(self._iap_credits_idempotency_key())

    def _iap_credits_grant_purchase(self):
        """Add the credits of the pack paid by this transaction to its account, once.

        :return: the `purchase` ledger row (the existing one when already granted)
        """
        self.ensure_one()
        if self.state != "done" or not self.iap_credit_account_id:
            return self.env["iap.credit.transaction"]
        existing = self._iap_credits_ledger_row()
        if existing:
            return existing
        account = self.iap_credit_account_id.sudo()
        description = self.env._(
            "Purchase of %(pack)s (payment %(reference)s)",
            pack=self.iap_credit_pack_id.name or self.env._("a credit pack"),
            reference=self.reference,
        )
        try:
            row = account._credits_grant(
                self.iap_credits,
                description,
                kind="purchase",
                idempotency_key=self._iap_credits_idempotency_key(),
                origin=self,
            )
        except UserError as error:
            # E.g. the account was switched to Odoo IAP after the payment: never lose a paid
            # purchase silently; the post-processing can be run again once it is local.
            _logger.error("Credits of payment %s not granted: %s", self.reference, error)
            account.message_post(
                body=self.env._(
                    "Payment %(reference)s is confirmed but its %(credits)s credits could not be added: %(error)s",
                    reference=self.reference,
                    credits=self.iap_credits,
                    error=str(error),
                )
            )
            return self.env["iap.credit.transaction"]
        account.message_post(
            body=self.env._(
                "%(credits)s credits bought (%(pack)s), paid by %(reference)s: %(amount)s %(currency)s. "
                "New balance: %(balance)s.",
                credits=self.iap_credits,
                pack=self.iap_credit_pack_id.name or "",
                reference=self.reference,
                amount=self.amount,
                currency=self.currency_id.name,
                balance=account.credit_balance,
            )
        )
        _logger.info(
            "Granted %s credits to IAP account %s for payment %s", self.iap_credits, account.id, self.reference
        )
        return row

    def _iap_credits_take_back(self):
        """Take back the unspent part of the credits bought by the refunded transaction, once.

        A partial refund takes back the same share of the credits as of the amount. Credits
        already spent are not taken back: the balance never goes below zero.

        :return: the `refund` ledger row, or an empty recordset when nothing could be taken back
        """
        self.ensure_one()
        source = self.source_transaction_id
        existing = self._iap_credits_ledger_row()
        if existing:
            return existing
        purchase = source._iap_credits_ledger_row()
        if not purchase or float_compare(source.amount, 0.0, precision_digits=6) <= 0:
            return self.env["iap.credit.transaction"]
        account = source.iap_credit_account_id.sudo()
        account.lock_for_update()
        account.invalidate_recordset(["credit_available", "credit_balance"])
        share = min(1.0, abs(self.amount) / source.amount)
        refundable = float_round(purchase.credits * share, precision_digits=4)
        credits = min(refundable, account.credit_available)
        if float_compare(credits, 0.0, precision_digits=4) <= 0:
            account.message_post(
                body=self.env._(
                    "Refund %(reference)s of payment %(payment)s: the credits were already spent, none taken back.",
                    reference=self.reference,
                    payment=source.reference,
                )
            )
            return self.env["iap.credit.transaction"]
        row = account._credits_debit(
            credits,
            self.env._(
                "Refund %(reference)s of payment %(payment)s", reference=self.reference, payment=source.reference
            ),
            kind="refund",
            idempotency_key=self._iap_credits_idempotency_key(),
            origin=self,
        )
        account.message_post(
            body=self.env._(
                "Refund %(reference)s of payment %(payment)s: %(credits)s of %(refundable)s credits taken back. "
                "New balance: %(balance)s.",
                reference=self.reference,
                payment=source.reference,
                credits=credits,
                refundable=refundable,
                balance=account.credit_balance,
            )
        )
        return row
