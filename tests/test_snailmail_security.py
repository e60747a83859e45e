# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Who may do what with snail mail, acting as each user over JSON-RPC as the web client does."""

from odoo.tests import new_test_user, tagged
from odoo.tests.common import HttpCase

from .common import JsonRpcMixin
from .common_snailmail import SnailmailMixin, setup_snailmail


@tagged("post_install", "-at_install")
class TestSnailmailSecurity(SnailmailMixin, JsonRpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_snailmail(cls)
        cls.user = new_test_user(cls.env, login="sn_user", groups="base.group_user")
        cls.other_user = new_test_user(cls.env, login="sn_other", groups="base.group_user")
        cls.manager = new_test_user(
            cls.env, login="sn_manager", groups="base.group_user,iap_credits.group_iap_credits_manager"
        )
        cls.other_company = cls.env["res.company"].create({"name": "Other Post Company"})
        cls.account._credits_grant(10, "Welcome")

    def test_user_cannot_reroute_letters(self):
        self.authenticate("sn_user", "sn_user")
        gateway = self.env["iap.snailmail.gateway"].create({"name": "Another sandbox"})
        response = self._call("iap.account", "write", [[self.account.id], {"snailmail_gateway_id": gateway.id}])
        self.assertRpcRefused(response)
        self.assertRpcRefused(self._call("iap.snailmail.gateway", "create", [{"name": "Mine"}]))

    def test_manager_chooses_gateways_not_providers(self):
        self.authenticate("sn_manager", "sn_manager")
        gateway_id = self._call_kw("iap.snailmail.gateway", "create", [{"name": "Manager sandbox"}])
        self.assertRpcDone(
            self._call("iap.account", "write", [[self.account.id], {"snailmail_gateway_id": gateway_id}])
        )
        self.assertRpcRefused(self._call("iap.snailmail.gateway", "create", [{"name": "Elsewhere", "code": "http"}]))
        self.assertRpcRefused(self._call("iap.snailmail.gateway", "write", [[gateway_id], {"code": "postgrid"}]))
        postgrid = self._postgrid_gateway("http://127.0.0.1:9")
        for field in ("postgrid_api_key", "postgrid_webhook_secret", "postgrid_api_url"):
            self.assertRpcRefused(self._call("iap.snailmail.gateway", "read", [[postgrid.id], [field]]))

    def test_prices_are_the_administrators(self):
        self.authenticate("sn_manager", "sn_manager")
        self.assertRpcRefused(self._call("iap.account", "write", [[self.account.id], {"snailmail_page_price": 0}]))
        self.authenticate("admin", "admin")
        self.assertRpcDone(self._call("iap.account", "write", [[self.account.id], {"snailmail_page_price": 0.25}]))
        self.assertEqual(self.service.snailmail_page_price, 0.25)

    def test_rates_are_the_credit_managers(self):
        """A user reads the rates (the prices shown before sending) but neither creates,
        changes nor deletes one; a credit manager does."""
        rate = self.env["iap.snailmail.rate"].create({"country_id": self.env.ref("base.fr").id, "letter_price": 2})
        japan = self.env.ref("base.jp").id
        self.authenticate("sn_user", "sn_user")
        rows = self._call_kw("iap.snailmail.rate", "search_read", [[]], {"fields": ["country_id", "letter_price"]})
        self.assertEqual([(row["country_id"][0], row["letter_price"]) for row in rows], [(rate.country_id.id, 2.0)])
        self.assertRpcRefused(self._call("iap.snailmail.rate", "write", [[rate.id], {"letter_price": 0}]))
        self.assertRpcRefused(self._call("iap.snailmail.rate", "create", [{"country_id": japan, "letter_price": 0}]))
        self.assertRpcRefused(self._call("iap.snailmail.rate", "unlink", [[rate.id]]))
        self.assertRpcRefused(self._call("iap.account", "write", [[self.account.id], {"snailmail_color_price": 0}]))
        rate.invalidate_recordset()
        self.assertEqual(rate.letter_price, 2.0)
        self.assertEqual(self.service._snailmail_letter_price(1, country=rate.country_id), 2.0)

        self.authenticate("sn_manager", "sn_manager")
        self.assertRpcDone(self._call("iap.snailmail.rate", "write", [[rate.id], {"letter_price": 3}]))
        rate_id = self._call_kw("iap.snailmail.rate", "create", [{"country_id": japan, "letter_price": 4}])
        self.assertEqual(self.env["iap.snailmail.rate"].browse(rate_id).service_id, self.service)
        self.assertRpcRefused(self._call("iap.account", "write", [[self.account.id], {"snailmail_color_price": 0}]))
        rate.invalidate_recordset()
        self.assertEqual(self.service._snailmail_letter_price(1, country=rate.country_id), 3.0)
        self.assertRpcDone(self._call("iap.snailmail.rate", "unlink", [[rate_id]]))

    def test_users_see_their_own_letters(self):
        mine = self._letter(user_id=self.user.id)
        theirs = self._letter(user_id=self.other_user.id)
        (mine | theirs)._snailmail_print()
        self.assertEqual(set((mine | theirs).mapped("state")), {"sent"})

        self.authenticate("sn_user", "sn_user")
        rows = self._call_kw("iap.snailmail.post", "search_read", [[]], {"fields": ["letter_id", "credits"]})
        self.assertEqual([row["letter_id"][0] for row in rows], [mine.id])
        post = self._posts(theirs)
        self.assertRpcRefused(self._call("iap.snailmail.post", "read", [[post.id], ["pdf"]]))
        self.assertRpcRefused(self._call("iap.snailmail.post", "write", [[self._posts(mine).id], {"credits": 0}]))
        self.assertRpcRefused(self._call("iap.snailmail.post", "unlink", [[self._posts(mine).id]]))

        self.authenticate("sn_manager", "sn_manager")
        rows = self._call_kw("iap.snailmail.post", "search_read", [[]], {"fields": ["letter_id"]})
        self.assertTrue({mine.id, theirs.id} <= {row["letter_id"][0] for row in rows if row["letter_id"]})

    def test_no_letter_paid_by_another_company(self):
        self.authenticate("sn_user", "sn_user")
        values = {"partner_id": self.partner.id, "model": "res.partner", "res_id": self.partner.id}
        response = self._call("snailmail.letter", "create", [{**values, "company_id": self.other_company.id}])
        self.assertRpcRefused(response)
        self.assertIn("company you do not belong to", response["error"]["data"]["message"])
        letter = self._letter(user_id=self.user.id)
        response = self._call("snailmail.letter", "write", [[letter.id], {"company_id": self.other_company.id}])
        self.assertRpcRefused(response)
        self.assertIn("company you do not belong to", response["error"]["data"]["message"])
        self.assertEqual(letter.company_id, self.company)

    def test_nothing_that_moves_credits_is_callable(self):
        self.authenticate("sn_manager", "sn_manager")
        letter = self._letter()
        for model, method, args in (
            ("iap.snailmail.post", "_post_letters", [[], self.account.id, [letter.id]]),
            ("iap.snailmail.post", "_give_back", [[]]),
            ("iap.snailmail.post", "_snailmail_apply_status", [[], "cancelled"]),
            ("snailmail.letter", "_iap_credits_set_sent", [[letter.id], "x"]),
            ("iap.snailmail.gateway", "_snailmail_send", [[self.sandbox.id], []]),
        ):
            response = self._call(model, method, args)
            self.assertIn("error", response, f"{model}.{method} was callable")
        self.assertEqual(letter.state, "pending")
        self.account.invalidate_recordset()
        self.assertEqual(self.account.credit_balance, 10)
