# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""No silent call to Odoo for a local account.

Every stock IAP endpoint parameter points at a recorder on 127.0.0.1 and the stock
clients' test guards are lifted (see `iap_recorder`): the user journeys of the local
services — SMS from a contact, the composer, the queue, digitizing a bill, partner
autocomplete, buying a pack, View My Services, the account form, the stock settings
buttons — must leave it empty.
The same calls on an *Odoo IAP* account do reach it: the recorder sees what would go out.
"""

from odoo.tests import new_test_user, tagged

from . import digitization_corpus as corpus
from .common_sms import IapSmsHttpCase
from .common_tours import JourneyTourMixin, buy_credits_texts
from .iap_recorder import IapRecorderMixin

USER_ERROR = "odoo.exceptions.UserError"


class NoSilentCallCase(JourneyTourMixin, IapRecorderMixin, IapSmsHttpCase):
    """A local SMS account (sandbox gateway) and a local digitization account (Tesseract)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account._credits_grant(50, "Welcome")
        cls.user = new_test_user(
            cls.env, login="no_call_user", groups="base.group_user,base.group_partner_manager", email="user@example.com"
        )
        cls.admin = new_test_user(
            cls.env, login="no_call_admin", groups="base.group_user,base.group_system", email="admin@example.com"
        )
        cls.billing = new_test_user(
            cls.env, login="no_call_billing", groups="base.group_user,account.group_account_invoice"
        )
        cls.ocr_account = cls.env["iap.credit.dispatch"]._get_account("invoice_ocr", cls.company)
        cls.ocr_account.write({"credit_mode": "local", "digitization_gateway": "tesseract"})
        cls.ocr_account._credits_grant(10, "Welcome")
        # A service without local engine: its account runs on Odoo IAP, and lists fetch it.
        cls.odoo_account = cls.env["iap.account"].create(
            {"name": "Lead Generation", "service_id": cls.env.ref("iap.iap_service_reveal").id}
        )

    def _local_autocomplete(self, credit_mode="local"):
        """The company's partner autocomplete account (the demo's), on the Sandbox engine
        with one directory entry; ``credit_mode`` "odoo" puts it on Odoo IAP instead."""
        account = self.env["iap.account"].get("partner_autocomplete")
        sandbox = self.env["iap.autocomplete.engine"].create({"name": "No call sandbox", "code": "sandbox"})
        account.sudo().write({"credit_mode": credit_mode, "autocomplete_engine_ids": [(6, 0, sandbox.ids)]})
        if credit_mode == "local":
            account._credits_grant(5, "Welcome")
        self.env["iap.autocomplete.directory"].create(
            {
                "name": "Quiet Harbour Supplies",
                "vat": "BE0477472701",
                "city": "Ghent",
                "country_id": self.env.ref("base.be").id,
                "website": "https://quiet-harbour.example.com",
            }
        )
        return account

    def _autocomplete_journey(self):
        """What the stock widget asks, as a contact manager over JSON-RPC: a name search,
        a VAT search, the picked suggestion, a domain.

        :return: ``{step: JSON-RPC answer}``
        """
        self.authenticate(self.user.login, self.user.login)
        by_name = self._call("res.partner", "autocomplete_by_name", ["Quiet Harbour", 0])
        answers = {
            "autocomplete_by_name": by_name,
            "autocomplete_by_vat": self._call("res.partner", "autocomplete_by_vat", ["BE0477472701", 0]),
            "enrich_by_domain": self._call("res.partner", "enrich_by_domain", ["quiet-harbour.example.com"]),
        }
        suggestion = (by_name.get("result") or [{}])[0]
        answers["enrich_by_duns"] = self._call("res.partner", "enrich_by_duns", [suggestion.get("duns") or "1"])
        return answers

    def _stock_account_buttons(self, account):
        """What the account form and the stock SMS settings do with an account, as an
        administrator over JSON-RPC: Manage Service (`get_account_id`), open the form
        (`web_read`, which fetches the stock account information), the balance and buy
        links, the alert settings, the SMS sender name and registration wizards.

        :return: ``{step: JSON-RPC answer}``
        """
        self.authenticate(self.admin.login, self.admin.login)
        answers = {
            "get_account_id": self._call("iap.account", "get_account_id", [account.service_name]),
            "web_read": self._call(
                "iap.account",
                "web_read",
                [account.ids],
                {"specification": {"balance": {}, "state": {}, "credit_mode": {}, "engine_display": {}}},
            ),
            "get_credits": self._call("iap.account", "get_credits", [account.service_name]),
            "get_credits_url": self._call("iap.account", "get_credits_url", [account.service_name]),
            "action_buy_credits": self._call("iap.account", "action_buy_credits", [account.ids]),
            "warning": self._call(
                "iap.account",
                "write",
                [account.ids, {"warning_threshold": 5, "warning_user_ids": [[4, self.admin.id]]}],
            ),
        }
        if account.service_name == "sms":
            sender = self._call_kw("sms.account.sender", "create", [{"account_id": account.id, "sender_name": "Shop"}])
            phone = self._call_kw("sms.account.phone", "create", [{"account_id": account.id, "phone_number": "+3247"}])
            code = self._call_kw("sms.account.code", "create", [{"account_id": account.id, "verification_code": "1"}])
            answers |= {
                "action_open_sender_name_wizard": self._call(
                    "iap.account", "action_open_sender_name_wizard", [account.ids]
                ),
                "action_open_registration_wizard": self._call(
                    "iap.account", "action_open_registration_wizard", [account.ids]
                ),
                "action_set_sender_name": self._call("sms.account.sender", "action_set_sender_name", [[sender]]),
                "action_send_verification_code": self._call(
                    "sms.account.phone", "action_send_verification_code", [[phone]]
                ),
                "action_register": self._call("sms.account.code", "action_register", [[code]]),
            }
        return answers


@tagged("post_install", "-at_install")
class TestNoSilentCallForLocalAccounts(NoSilentCallCase):
    def test_sms_journeys(self):
        """From a contact (composer), mass SMS queued then sent by the queue's batch."""
        self._send_from_contact_over_rpc(self.user, body="Hello from a contact")
        partners = self.partner | self.env["res.partner"].create({"name": "Bob SMS", "phone": "+32 470 11 11 11"})
        self.authenticate(self.user.login, self.user.login)
        context = {"active_model": "res.partner", "active_ids": partners.ids, "sms_composition_mode": "mass"}
        composer = self._call_kw(
            "sms.composer", "create", [{"body": "Spring sale", "mass_force_send": False}], {"context": context}
        )
        self._call_kw("sms.composer", "action_send_sms", [[composer]], {"context": context})
        queued = self.env["sms.sms"].search([("partner_id", "in", partners.ids), ("state", "=", "outgoing")])
        self.assertEqual(len(queued), 2, "the mass SMS wait in the queue")
        # What the queue job (`sms.sms._process_queue`) does with a batch, without its commit.
        queued._send(unlink_failed=False, unlink_sent=True, raise_exception=False)
        sent = self.env["iap.sms.message"].search([("partner_id", "in", partners.ids)])
        self.assertEqual(sorted(sent.mapped("state")), ["sent", "sent", "sent"])
        self.account.invalidate_recordset()
        self.assertEqual(self.account.credit_balance, 47)
        self.assertNothingSentToOdoo()

    def test_sms_tour_from_contact(self):
        """In headless Chromium: contact → SMS → type → Send."""
        self.start_tour(f"/odoo/contacts/{self.partner.id}", "iap_credits_sms_from_contact", login="admin")
        self.assertEqual(self.env["iap.sms.message"].search([("partner_id", "=", self.partner.id)]).state, "sent")
        self.assertNothingSentToOdoo()

    def test_digitize_a_bill(self):
        """A Billing user digitizes their bill; the queue reads it with Tesseract."""
        bill = self.env["account.move"].with_user(self.billing).create({"move_type": "in_invoice"})
        pdf = corpus.render_pdf(next(b for b in corpus.BILLS if b.key == "fr_classic"))
        self.env["ir.attachment"].with_user(self.billing).create(
            {
                "name": "bill.pdf",
                "raw": pdf,
                "mimetype": "application/pdf",
                "res_model": "account.move",
                "res_id": bill.id,
            }
        )
        self.authenticate(self.billing.login, self.billing.login)
        self._call_kw("account.move", "action_digitize", [bill.ids])
        self.env["account.move"]._digitize_queued()
        self.assertEqual(bill.digitization_state, "done", bill.digitization_error)
        self.assertNothingSentToOdoo()

    def test_partner_autocomplete_journeys(self):
        """Search by name and by VAT, pick a suggestion, enrich by domain, the company's own
        enrichment: answered by the Sandbox and paid in local credits."""
        account = self._local_autocomplete()
        available = account.credit_available
        answers = self._autocomplete_journey()
        self.assertEqual(answers["autocomplete_by_name"]["result"][0]["name"], "Quiet Harbour Supplies")
        self.assertEqual(answers["enrich_by_duns"]["result"]["city"], "Ghent")
        self.env.company._enrich()
        account.invalidate_recordset()
        self.assertLess(account.credit_available, available, "the local account paid")
        self.assertNothingSentToOdoo()

    def test_buy_a_pack_from_the_settings(self):
        """In headless Chromium: Settings → View My Services → account → Buy Credit → pay."""
        account = self.env["iap.account"].create(
            {
                "name": "Tour SMS account",
                "service_id": self.service_sms.id,
                "company_ids": self.company.ids,
                "credit_mode": "local",
            }
        )
        account._credits_grant(10, "Welcome")
        self.env["iap.credit.pack"].create(
            {
                "name": "Tour Pack",
                "service_id": self.service_sms.id,
                "credits": 100,
                "bonus_credits": 50,
                "price": 9.99,
                "company_id": self.company.id,
            }
        )
        texts = buy_credits_texts(self.texts_of("admin"))
        self.start_journey_tour("/odoo/settings", "iap_credits_buy_credits", texts, login="admin")
        account.invalidate_recordset()
        self.assertEqual(account.credit_balance, 160)
        self.assertIn(self.odoo_account, self.assertOnlyOdooAccountsFetched(), "the list fetched the Odoo IAP account")

    def test_view_my_services_and_account_forms(self):
        """The list the settings button opens, and each local account's form."""
        self.authenticate(self.admin.login, self.admin.login)
        views = self._call_kw("iap.account", "get_views", [[[False, "list"], [False, "form"]]], {})
        self.assertIn("engine_display", views["views"]["list"]["arch"])
        rows = self._call_kw(
            "iap.account",
            "web_search_read",
            [],
            {"domain": [], "specification": {"name": {}, "engine_display": {}, "balance": {}}},
        )["records"]
        self.assertIn(self.account.id, [row["id"] for row in rows])
        self.assertIn(self.odoo_account, self.assertOnlyOdooAccountsFetched(), "the list fetched the Odoo IAP account")
        self.recorder.requests.clear()
        for account in self.account | self.ocr_account:
            with self.subTest(account=account.name):
                self._call_kw("iap.account", "web_read", [account.ids], {"specification": {"engine_display": {}}})
        self.assertNothingSentToOdoo()

    def test_stock_buttons_of_local_accounts(self):
        """The stock buttons answer locally; the SMS account wizards are refused, not sent to Odoo."""
        answers = self._stock_account_buttons(self.account)
        self.assertEqual(answers["get_account_id"]["result"], self.account.id)
        self.assertEqual(answers["get_credits"]["result"], 50)
        self.assertIn(f"/iap_credits/buy/{self.account.id}", answers["get_credits_url"]["result"])
        self.assertEqual(answers["action_buy_credits"]["result"]["url"], f"/iap_credits/buy/{self.account.id}")
        self.assertEqual(answers["web_read"]["result"][0]["engine_display"], "Local · Test sandbox")
        for step in (
            "action_open_sender_name_wizard",
            "action_open_registration_wizard",
            "action_set_sender_name",
            "action_send_verification_code",
            "action_register",
        ):
            with self.subTest(step=step):
                self.assertIn("error", answers[step], f"{step} was not refused")
                self.assertEqual(answers[step]["error"]["data"]["name"], USER_ERROR)
                self.assertIn("uses local credits", answers[step]["error"]["data"]["message"])
        ocr = self._stock_account_buttons(self.ocr_account)
        self.assertEqual(ocr["get_account_id"]["result"], self.ocr_account.id)
        self.assertEqual(ocr["get_credits"]["result"], self.ocr_account.credit_available)
        self.assertNothingSentToOdoo()

    def test_form_hides_the_stock_sms_wizards(self):
        """Set Sender Name and Register are not shown on a local account's form."""
        self.authenticate(self.admin.login, self.admin.login)
        arch = self._call_kw("iap.account", "get_views", [[[False, "form"]]], {})["views"]["form"]["arch"]
        for name in ("action_open_sender_name_wizard", "action_open_registration_wizard"):
            with self.subTest(button=name):
                start = arch.index(f'name="{name}"')
                container = arch.rindex("<div", 0, start)
                self.assertIn("credit_mode == 'local'", arch[container:start])
        self.assertNothingSentToOdoo()


@tagged("post_install", "-at_install")
class TestRecorderCatchesOdooCalls(NoSilentCallCase):
    """The same journeys with the SMS account in Odoo IAP mode reach the recorder: the test
    above would see a call that a local account made to Odoo."""

    def setUp(self):
        super().setUp()
        self.account.sudo().credit_mode = "odoo"

    def _tokens(self):
        return {request["params"].get("account_token") for request in self.recorder.requests}

    def test_sms_from_a_contact_reaches_odoo(self):
        self._send_from_contact_over_rpc(self.user, body="Hello through Odoo")
        self.assertIn("/api/sms/3/send", self.recorder.paths())
        self.assertIn(self.account.sudo().account_token, self._tokens())

    def test_partner_autocomplete_reaches_odoo(self):
        self._local_autocomplete(credit_mode="odoo")
        self._autocomplete_journey()
        for action in ("search_by_name", "search_by_vat", "enrich_by_domain"):
            with self.subTest(action=action):
                self.assertIn(f"/api/dnb/1/{action}", self.recorder.paths())

    def test_stock_buttons_reach_odoo(self):
        answers = self._stock_account_buttons(self.account)
        paths = self.recorder.paths()
        for path in (
            "/iap/1/get-accounts-information",  # the form
            "/iap/1/balance",  # get_credits
            "/iap/1/update-warning-email-alerts",  # the stock alert settings
            "/api/sms/1/account/update_sender",  # Set Sender Name
            "/api/sms/1/account/create",  # Register: the verification SMS
            "/api/sms/2/account/verify",  # Register: the code
        ):
            with self.subTest(path=path):
                self.assertIn(path, paths)
        self.assertEqual(answers["get_credits"]["result"], 42.0, "answered by the recorder")
        self.assertIn(self.recorder.url, answers["action_buy_credits"]["result"]["url"], "the stock buy link")
        self.assertEqual(answers["web_read"]["result"][0]["engine_display"], "Odoo IAP")
