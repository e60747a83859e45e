# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from odoo.addons.iap_credits import _pre_init_iap_credits

from .common import IapCreditsCase


class TestSecurity(IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account._credits_grant(100, "Company A credits")
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.account_b = cls.env["iap.account"].create(
            {
                "name": "Company B SMS",
                "service_id": cls.service_sms.id,
                "company_ids": [(6, 0, cls.company_b.ids)],
                "credit_mode": "local",
            }
        )
        cls.account_b._credits_grant(70, "Company B credits")
        cls.user_b = new_test_user(
            cls.env, login="iap_credits_user_b", groups="base.group_user", company_id=cls.company_b.id
        )

    def test_ledger_rows_immutable_for_everyone(self):
        row = self.account.transaction_ids[:1]
        for env in (self.env(user=self.user), self.env(user=self.manager), self.env(user=self.manager, su=True)):
            with self.assertRaises(UserError):  # AccessError is a UserError
                row.with_env(env).write({"credits": 1000})
            with self.assertRaises(UserError):  # AccessError is a UserError
                row.with_env(env).unlink()
            with self.assertRaises(UserError):  # AccessError is a UserError
                env["iap.credit.transaction"].create(
                    {"account_id": self.account.id, "kind": "grant", "credits": 5, "description": "free money"}
                )
        self.assertCredits(self.account, 100)

    def test_user_sees_own_company_balance_only(self):
        Account = self.env["iap.account"].with_user(self.user)
        self.assertIn(self.account, Account.search([]))
        self.assertNotIn(self.account_b, Account.search([]))
        self.assertEqual(self.account.with_user(self.user).credit_available, 100)
        Transaction = self.env["iap.credit.transaction"].with_user(self.user)
        self.assertTrue(Transaction.search([("account_id", "=", self.account.id)]))
        self.assertFalse(Transaction.search([("account_id", "=", self.account_b.id)]))
        with self.assertRaises(AccessError):
            self.account_b.transaction_ids.with_user(self.user).read(["credits"])
        with self.assertRaises(AccessError):
            self.account_b.with_user(self.user).read(["credit_balance"])

    def test_user_cannot_spend_other_company_credits(self):
        with self.assertRaises(AccessError):
            self.account_b.with_user(self.user)._credits_reserve(1, "steal")
        # The dispatch layer only finds the accounts of the given company.
        Dispatch = self.env["iap.credit.dispatch"].with_user(self.user)
        self.assertEqual(Dispatch._get_account("sms", self.company), self.account)
        self.assertEqual(Dispatch.with_user(self.user_b)._get_account("sms", self.company_b), self.account_b)
        self.assertCredits(self.account_b, 70)

    def test_user_cannot_write_balances_or_switch_mode(self):
        account = self.account.with_user(self.user)
        with self.assertRaises(UserError):  # AccessError is a UserError
            account.write({"credit_balance": 1e6})
        with self.assertRaises(AccessError):
            account.write({"credit_mode": "odoo"})
        self.account.with_user(self.manager).write({"credit_mode": "odoo"})
        self.assertEqual(self.account.credit_mode, "odoo")

    def test_adjustment_wizard_manager_only(self):
        Wizard = self.env["iap.credit.adjustment"]
        with self.assertRaises(AccessError):
            Wizard.with_user(self.user).create({"account_id": self.account.id, "credits": 5, "reason": "gift"})
        wizard = Wizard.with_user(self.manager).create(
            {"account_id": self.account.id, "operation": "remove", "credits": 30, "reason": "duplicate grant"}
        )
        wizard.action_confirm()
        self.assertCredits(self.account, 70)
        row = self.account.transaction_ids.sorted("id")[-1]
        self.assertEqual((row.kind, row.credits, row.description), ("adjustment", -30, "duplicate grant"))
        self.assertIn("duplicate grant", self.account.message_ids[0].body)
        too_much = Wizard.with_user(self.manager).create(
            {"account_id": self.account.id, "operation": "remove", "credits": 71, "reason": "oops"}
        )
        with self.assertRaises(UserError):
            too_much.action_confirm()
        self.assertCredits(self.account, 70)

    def test_tokens_visible_to_system_administrators_only(self):
        with self.assertRaises(AccessError):
            self.account.with_user(self.manager).read(["account_token"])
        self.assertTrue(self.account.with_user(self.env.ref("base.user_admin")).read(["account_token"]))


class TestInstallModes(IapCreditsCase):
    def test_existing_remote_accounts_keep_odoo_iap(self):
        """A database that already used Odoo's IAP (accounts with tokens) starts in Odoo mode."""
        ICP = self.env["ir.config_parameter"]
        _pre_init_iap_credits(self.env)
        self.assertEqual(ICP.get_param("iap_credits.default_credit_mode"), "odoo")
        self.assertEqual(self.env["iap.account"].create({"service_id": self.service_sms.id}).credit_mode, "odoo")
        self.env.cr.execute("UPDATE iap_account SET account_token = NULL")
        _pre_init_iap_credits(self.env)
        self.assertEqual(ICP.get_param("iap_credits.default_credit_mode"), "local")
        new = self.env["iap.account"].create({"service_id": self.service_sms.id})
        self.assertEqual((new.credit_mode, new.state, new.balance), ("local", "registered", "0 Credits"))
