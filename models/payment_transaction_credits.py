# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""What a paid credit purchase grants, and what its refund takes back: once per payment
transaction, through the ledger API, after re-checking the binding the buy flow signed
(`payment_transaction.py`)."""

import logging

from odoo import models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_round, format_amount

_logger = logging.getLogger(__name__)


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

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

    def _iap_credits_purchase_error(self):
        """Why this transaction must not grant its credits, or None when it may.

        Re-checks, at grant time, the binding fixed by the buy flow: the values signed at
        creation are unchanged, and the pack still sells these credits to this account in
        the currency paid. The amount is the pack's price when the transaction was created
        (the buy flow refuses any other): a later price change neither refuses nor lowers a
        purchase already paid.
        """
        self.ensure_one()
        tx = self.sudo()
        account, pack, currency = tx.iap_credit_account_id, tx.iap_credit_pack_id, tx.currency_id
        checks = [
            (
                tx.operation not in ("refund", "validation"),
                lambda: self.env._("a %(operation)s does not buy credits", operation=tx.operation),
            ),
            (
                tx._iap_credits_signature_valid(),
                lambda: self.env._("it was not created by the Buy Credit page, or was changed since"),
            ),
            (
                pack and pack.service_id == account.service_id,
                lambda: self.env._("its pack is not a pack of the account's service"),
            ),
            (
                not account.company_ids or pack.company_id in account.company_ids,
                lambda: self.env._("its pack is not sold to the account's companies"),
            ),
            (
                currency == pack.currency_id,
                lambda: self.env._("it was paid in %(currency)s, not in the pack's currency", currency=currency.name),
            ),
            (
                float_compare(tx.iap_credits, 0.0, precision_digits=4) > 0
                and currency.compare_amounts(tx.amount, 0.0) > 0,
                lambda: self.env._("it has no credits or no amount"),
            ),
        ]
        return next((message() for passed, message in checks if not passed), None)

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

        Only a transaction that still matches what the buy flow created grants (see
        `_iap_credits_purchase_error`); any other is refused loudly. A transaction of a
        provider in test mode grants too (the demo flow must end with credits), on a ledger
        row marked as a test.

        :return: the `purchase` ledger row (the existing one when already granted)
        """
        self.ensure_one()
        if self.state != "done" or not self.iap_credit_account_id:
            return self.env["iap.credit.transaction"]
        existing = self._iap_credits_ledger_row()
        if existing:
            return existing
        account = self.iap_credit_account_id.sudo()
        error = self._iap_credits_purchase_error()
        if error:
            self._iap_credits_refuse(account, error)
            return self.env["iap.credit.transaction"]
        is_test = not self.is_live
        values = {"pack": self.iap_credit_pack_id.name, "reference": self.reference}
        if is_test:
            description = self.env._("Test purchase of %(pack)s (payment %(reference)s, test mode: not paid)", **values)
        else:
            description = self.env._("Purchase of %(pack)s (payment %(reference)s)", **values)
        try:
            row = account._credits_grant(
                self.iap_credits,
                description,
                kind="purchase",
                idempotency_key=self._iap_credits_idempotency_key(),
                origin=self,
                is_test=is_test,
            )
        except UserError as error:
            # E.g. the account was switched to Odoo IAP after the payment: never lose a paid
            # purchase silently; the post-processing can be run again once it is local.
            _logger.error("Credits of payment %s not granted: %s", self.reference, error)
            account.message_post(
                body=self.env._(
                    "Payment %(reference)s is confirmed but its %(credits)s could not be added: %(error)s",
                    reference=self.reference,
                    credits=account._format_credits(self.iap_credits),
                    error=str(error),
                )
            )
            return self.env["iap.credit.transaction"]
        account.message_post(
            body=self.env._(
                "%(credits)s bought (%(pack)s), paid by %(reference)s: %(amount)s. New balance: %(balance)s.",
                credits=account._format_credits(self.iap_credits),
                pack=self.iap_credit_pack_id.name or "",
                reference=self.reference,
                amount=format_amount(self.env, self.amount, self.currency_id),
                balance=account._format_credits(account.credit_balance),
            )
            + (self.env._(" Test mode: no money was paid.") if is_test else "")
        )
        _logger.info(
            "Granted %s credits to IAP account %s for payment %s", self.iap_credits, account.id, self.reference
        )
        return row

    def _iap_credits_take_back(self):
        """Take back the unspent part of the credits bought by the refunded transaction, once.

        Only a refund created by the stock refund of a purchase that was granted takes back;
        a partial refund takes back the same share of the credits as of the amount, and all
        the refunds of a purchase together never take back more than it granted. Credits
        already spent are not taken back: the balance never goes below zero.

        :return: the `refund` ledger row, or an empty recordset when nothing could be taken back
        """
        self.ensure_one()
        source = self.source_transaction_id.sudo()
        existing = self._iap_credits_ledger_row()
        if existing:
            return existing
        purchase = source._iap_credits_ledger_row()
        if not purchase or float_compare(source.amount, 0.0, precision_digits=6) <= 0:
            return self.env["iap.credit.transaction"]
        account = source.iap_credit_account_id.sudo()
        if not self._iap_credits_signature_valid() or self.currency_id != source.currency_id:
            self._iap_credits_refuse(
                account, self.env._("it is not a refund made through the payment provider, or was changed since")
            )
            return self.env["iap.credit.transaction"]
        account.lock_for_update()
        account.invalidate_recordset(["credit_available", "credit_balance"])
        share = min(1.0, abs(self.amount) / source.amount)
        sibling_keys = [sibling._iap_credits_idempotency_key() for sibling in source.child_transaction_ids - self]
        taken_before = -sum(
            self.env["iap.credit.transaction"]
            .sudo()
            .search([("account_id", "=", account.id), ("kind", "=", "refund"), ("idempotency_key", "in", sibling_keys)])
            .mapped("credits")
        )
        refundable = float_round(min(purchase.credits * share, purchase.credits - taken_before), precision_digits=4)
        credits = min(refundable, account.credit_available)
        if float_compare(credits, 0.0, precision_digits=4) <= 0:
            account.message_post(
                body=self.env._(
                    "Refund %(reference)s of payment %(payment)s: the credits were already spent or taken back, "
                    "none taken back.",
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
            is_test=purchase.is_test,
        )
        account.message_post(
            body=self.env._(
                "Refund %(reference)s of payment %(payment)s: %(credits)s of %(refundable)s taken back. "
                "New balance: %(balance)s.",
                reference=self.reference,
                payment=source.reference,
                credits=account._format_credits(credits),
                refundable=account._format_credits(refundable),
                balance=account._format_credits(account.credit_balance),
            )
        )
        return row
