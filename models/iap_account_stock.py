# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The overrides of the stock IAP account API: local accounts answer without Odoo's IAP."""

from odoo import api, models

from .iap_account import (
    MANAGER_GROUP,
)


class IapAccount(models.Model):
    _inherit = "iap.account"

    # ------------------------------------------------------------
    # STOCK OVERRIDES
    # ------------------------------------------------------------

    @api.model
    def get(self, service_name, force_create=True):
        """Override of `iap` to create the missing account of a service as the system.

        The first use of a service by any user creates its account (stock); since only
        credit managers may create accounts, that creation runs as superuser. It only
        ever creates the stock default account, and only when none exists.
        """
        if self.env.su or self.env.user.has_group(MANAGER_GROUP):
            return super().get(service_name, force_create=force_create)
        companies = self.env.companies  # checks the user's allowed companies, as the user
        account = super(IapAccount, self.sudo().with_context(allowed_company_ids=companies.ids)).get(
            service_name, force_create=force_create
        )
        return account.with_env(self.env)

    @api.model
    def _account_for(self, service_name, company=None):
        """The account that pays for ``service_name`` work of ``company`` (the current
        company by default): the stock `get` of that company, as the system, so that
        every caller (the dispatch, a compute, a form's price) finds the same account
        whatever its user's current companies.

        :return: the `iap.account` (sudo), in local or Odoo IAP mode
        """
        company = company or self.env.company
        return self.with_company(company).with_context(allowed_company_ids=company.ids).sudo().get(service_name)

    def web_read(self, specification):
        """Override of `iap` to show the balance of local accounts in the reader's language.

        The stock ``balance`` is a stored text written by the ledger with each movement
        ("488 Credits"); the web client shows it formatted like the other figures of the
        account, with the unit in the reader's language.
        """
        records = super().web_read(specification)
        if "balance" in specification:
            local = {account.id: account for account in self if account.credit_mode == "local"}
            for values in records:
                account = local.get(values["id"])
                if account:
                    values["balance"] = account._format_credits(account.credit_balance)
        return records

    def _get_account_information_from_iap(self):
        """Override of `iap` to ask Odoo's server only about accounts in Odoo IAP mode."""
        remote = self.filtered(lambda a: a.credit_mode == "odoo")
        if remote:
            return super(IapAccount, remote)._get_account_information_from_iap()
        return None

    @api.model
    def get_credits(self, service_name):
        """Override of `iap` to answer from the local ledger for local accounts."""
        account = self.get(service_name, force_create=False)
        if account and account.credit_mode == "local":
            return account.credit_available
        return super().get_credits(service_name)
