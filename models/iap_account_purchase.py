# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The purchase of credit packs through `payment`: the buy-credits routing."""

from odoo import api, models
from odoo.exceptions import AccessError

from .iap_account import (
    MANAGER_GROUP,
)


class IapAccount(models.Model):
    _inherit = "iap.account"

    # ------------------------------------------------------------
    # CREDIT PURCHASE (credit packs paid through `payment`)
    # ------------------------------------------------------------

    def _compute_credit_purchase_pending(self):
        # In sudo: payment transactions are readable by administrators only, and this only counts them.
        groups = (
            self.env["payment.transaction"]
            .sudo()
            ._read_group(
                [("iap_credit_account_id", "in", self.ids), ("state", "in", ("pending", "authorized"))],
                ["iap_credit_account_id"],
                ["__count", "iap_credits:sum"],
            )
        )
        pending = {account.id: (count, credits) for account, count, credits in groups}
        for account in self:
            account.credit_purchase_pending_count, account.credit_purchase_pending_credits = pending.get(
                account.id, (0, 0.0)
            )

    @api.model
    def get_credits_url(self, service_name, account_token=None):
        """Override of `iap` to send buyers of a local account to this database's pack page.

        Used by the stock "buy credits" links: no-credit notifications, SMS failure
        messages, mass SMS, ...
        """
        if not account_token:
            account = self._get_local_account_for_purchase(service_name)
            if account:
                return f"{account.get_base_url()}{account._get_buy_credits_path()}"
        return super().get_credits_url(service_name, account_token=account_token)

    @api.model
    def _get_local_account_for_purchase(self, service_name):
        """The local account of ``service_name`` for the current companies, if any.

        Unlike the stock ``get``, never creates nor deletes an account.
        """
        return self.search(
            [
                ("service_name", "=", service_name),
                ("credit_mode", "=", "local"),
                "|",
                ("company_ids", "in", self.env.companies.ids),
                ("company_ids", "=", False),
            ],
            order="id desc",
            limit=1,
        )

    def _get_buy_credits_path(self):
        self.ensure_one()
        return f"/iap_credits/buy/{self.id}"

    def action_buy_credits(self):
        """Override of `iap` to open this database's pack page for local accounts."""
        if len(self) != 1 or self.credit_mode != "local":
            return super().action_buy_credits()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only IAP credit managers can buy credits."))
        return {"type": "ir.actions.act_url", "url": self._get_buy_credits_path(), "target": "self"}
