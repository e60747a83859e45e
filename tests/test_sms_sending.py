# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The stock ways of sending SMS, charged in local credits (sandbox gateway)."""

from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase

from odoo.addons.sms.tools.sms_api import SmsApi

from ..models.sms_api import SmsApiLocal
from .common import IapCreditsCase
from .common_sms import IapSmsMixin


class TestSmsSending(IapSmsMixin, IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_sms()

    def _composer(self, record, body, **values):
        return (
            self.env["sms.composer"]
            .with_context(
                default_res_model=record._name,
                default_res_id=record.id,
                default_number_field_name="phone",
                default_composition_mode="comment",
            )
            .create({"body": body, **values})
        )

    def _notification(self, partner):
        return partner.message_ids.filtered(lambda m: m.message_type == "sms")[:1].notification_ids

    def test_composer_from_contact_charges_segments(self):
        self.account._credits_grant(10, "Welcome")
        composer = self._composer(self.partner, "Hello Alice")
        self.assertTrue(composer.iap_credits_local)
        self.assertEqual((composer.iap_credits_segments, composer.iap_credits_estimate), (1, 1.0))
        composer.action_send_sms()
        self.assertCredits(self.account, 9)
        message = self.env["iap.sms.message"].search([("partner_id", "=", self.partner.id)])
        self.assertRecordValues(
            message,
            [
                {
                    "number": "+32470123456",
                    "segments": 1,
                    "credits": 1.0,
                    "state": "sent",
                    "gateway_id": self.sandbox.id,
                    "failure_type": False,
                }
            ],
        )
        self.assertTrue(message.provider_ref.startswith("sandbox-"))
        # What the SMS of a batch share is the batch's, once; the outbox shows it.
        hold = self.account.transaction_ids.filtered(lambda row: row.kind == "reservation")
        self.assertRecordValues(
            message.batch_id,
            [
                {
                    "account_id": self.account.id,
                    "gateway_id": self.sandbox.id,
                    "company_id": self.env.company.id,
                    "reference": hold.reference,
                    "message_count": 1,
                    "credits": 1.0,
                    "create_uid": self.env.uid,
                }
            ],
        )
        self.assertEqual((message.account_id, message.reference), (self.account, hold.reference))
        self.assertEqual(self._notification(self.partner).notification_status, "pending")
        self.assertEqual((self.partner.iap_sms_count, self.partner.iap_sms_credits), (1, 1.0))
        kinds = self.account.transaction_ids.sorted("id").mapped("kind")
        self.assertEqual(kinds, ["grant", "reservation", "capture"])

    def test_multipart_and_country_rate(self):
        self.account._credits_grant(20, "Welcome")
        self.env["iap.sms.rate"].create({"service_id": self.service_sms.id, "prefix": "+32", "credit_price": 1.5})
        body = "ж" * 71  # UCS-2, 2 segments
        composer = self._composer(self.partner, body)
        self.assertEqual(composer.iap_credits_encoding, "UCS-2")
        self.assertEqual((composer.iap_credits_segments, composer.iap_credits_estimate), (2, 3.0))
        composer.action_send_sms()
        self.assertCredits(self.account, 17)
        # A destination without a rate of its own pays the service's price per segment.
        french = self.env["res.partner"].create({"name": "Bob", "phone": "+33 6 12 34 56 78"})
        self._composer(french, "a" * 161).action_send_sms()
        self.assertCredits(self.account, 15)

    def test_invalid_and_missing_numbers_never_charged(self):
        self.account._credits_grant(10, "Welcome")
        sms = self._create_sms(["12", False, "not a number", "+32 470 12 34 56"])
        sms.send()
        self.assertEqual(sms.mapped("state"), ["error", "error", "error", "pending"])
        self.assertEqual(sms.mapped("failure_type"), ["sms_number_format"] * 3 + [False])
        self.assertCredits(self.account, 9)
        history = self._history(sms)
        self.assertEqual(sorted(history.mapped("credits")), [0, 0, 0, 1])
        # Only the valid SMS was held: nothing was reserved for the invalid ones.
        reservation = self.account.transaction_ids.filtered(lambda t: t.kind == "reservation")
        self.assertEqual(reservation.reserved_change, 1)

    def test_duplicates_in_a_batch_sent_once(self):
        self.account._credits_grant(10, "Welcome")
        sms = self._create_sms(["+32470123456", "0470 12 34 56", "+32 470 12 34 56", "+32470654321"])
        sms.send()
        self.assertEqual(sms.mapped("failure_type"), [False, "sms_duplicate", "sms_duplicate", False])
        self.assertCredits(self.account, 8)

    def test_insufficient_credit(self):
        self.account._credits_grant(1, "Welcome")
        composer = self._composer(self.partner, "a" * 200)  # 2 segments, 2 credits
        action = composer.action_send_sms()
        self.assertCredits(self.account, 1)
        self.assertEqual(self._notification(self.partner).failure_type, "sms_credit")
        self.assertEqual(self._notification(self.partner).notification_status, "exception")
        url = self.env["iap.account"].get_credits_url(service_name="sms")
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["links"][0]["url"], url)
        message = self.env["iap.sms.message"].search([("partner_id", "=", self.partner.id)])
        self.assertEqual((message.state, message.failure_type, message.credits), ("error", "sms_credit", 0))
        self.assertIn(url, message.failure_reason)
        self.assertEqual(self.account.transaction_ids.mapped("kind"), ["grant"], "nothing held, nothing charged")

    def test_no_gateway_not_charged(self):
        self.account._credits_grant(10, "Welcome")
        self.account.sms_gateway_id = False
        sms = self._create_sms(["+32470123456"])
        sms.send()
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_acc"))
        self.assertCredits(self.account, 10)

    def test_mass_sms_charged_the_same_way(self):
        self.account._credits_grant(10, "Welcome")
        partners = self.partner | self.env["res.partner"].create(
            [
                {"name": "Carol", "phone": "+32 470 11 11 11"},
                {"name": "Dave", "phone": "+32 470 22 22 22"},
                {"name": "Eve", "phone": "123"},
            ]
        )
        composer = (
            self.env["sms.composer"]
            .with_context(active_model="res.partner", active_ids=partners.ids, sms_composition_mode="guess")
            .create({"body": "Spring sale", "mass_force_send": True})
        )
        self.assertEqual(composer.composition_mode, "mass")
        self.assertEqual(composer.iap_credits_estimate, 3)
        composer.action_send_sms()
        self.assertCredits(self.account, 7)
        self.assertEqual(len(self.env["iap.sms.message"].search([("partner_id", "in", partners.ids)])), 3)

    def test_queued_sms_of_two_companies_charged_on_each_account(self):
        """The stock queue sends a batch without choosing an API: each company pays its own."""
        self.account._credits_grant(10, "Welcome")
        company_b = self.env["res.company"].create({"name": "Company B", "country_id": self.env.ref("base.be").id})
        account_b = self._create_local_account(companies=company_b, credits=10, sms_gateway_id=self.sandbox.id)
        record_b = self.env["res.partner"].with_company(company_b).create({"name": "Company B contact"})
        message_b = record_b.message_post(body="log", message_type="comment")
        message_b.record_company_id = company_b
        sms = self._create_sms(["+32470123456", "+32470654321"])
        sms[1].mail_message_id = message_b
        sms._send()
        self.assertCredits(self.account, 9)
        self.assertCredits(account_b, 9)
        outbox = self.env["iap.sms.message"].search([("uuid", "in", sms.mapped("uuid"))], order="id")
        self.assertEqual(outbox.mapped("account_id"), self.account | account_b)
        self.assertEqual(outbox.mapped("company_id"), self.env.company | company_b)
        self.assertEqual(outbox.mapped("mail_message_id"), message_b)
        self.assertEqual(self.account.sms_message_count, 1)
        self.assertEqual(account_b.sms_message_count, 1)
        # Multi-company record rules: a credit user of company B sees B's SMS and batch only.
        user_b = new_test_user(
            self.env,
            login="sms_user_b",
            groups="base.group_user,iap_credits.group_iap_credits_manager",
            company_id=company_b.id,
            company_ids=[(6, 0, company_b.ids)],
        )
        self.assertEqual(self.env["iap.sms.message"].with_user(user_b).search([("id", "in", outbox.ids)]), outbox[1])
        batches = outbox.batch_id
        self.assertEqual(self.env["iap.sms.batch"].with_user(user_b).search([("id", "in", batches.ids)]), batches[1])

    def test_odoo_iap_accounts_keep_the_stock_path(self):
        self.account.sudo().credit_mode = "odoo"
        sms = self._create_sms(["+32470123456"])
        apis = [api for api, _sms in sms._split_by_api()]
        self.assertEqual([type(api) for api in apis], [SmsApi])
        self.assertEqual(self.env.company._get_sms_api_class(), SmsApi)
        self.account.sudo().credit_mode = "local"
        self.assertEqual([type(api) for api, _sms in sms._split_by_api()], [SmsApiLocal])
        self.assertEqual(self.env.company._get_sms_api_class(), SmsApiLocal)

    def test_template_and_message_sms(self):
        """`_message_sms_with_template` (templates, automated actions) goes the same way."""
        self.account._credits_grant(10, "Welcome")
        template = self.env["sms.template"].create(
            {"name": "Hi", "model_id": self.env.ref("base.model_res_partner").id, "body": "Hi {{ object.name }}"}
        )
        self.partner._message_sms_with_template(template=template, partner_ids=self.partner.ids)
        self.assertCredits(self.account, 9)
        message = self.env["iap.sms.message"].search([("partner_id", "=", self.partner.id)])
        self.assertEqual(message.body, "Hi Alice SMS")

    def test_internal_user_sends_and_pays(self):
        """A plain internal user sends from the composer; the ledger moves under sudo only."""
        self.account._credits_grant(10, "Welcome")
        user = new_test_user(self.env, login="sms_sender", groups="base.group_user,base.group_partner_manager")
        self.assertFalse(user.has_group("iap_credits.group_iap_credits_manager"))
        composer = self._composer(self.partner.with_user(user), "Hello from a user").with_user(user)
        self.assertEqual(composer.iap_credits_estimate, 1)
        composer.action_send_sms()
        self.assertCredits(self.account, 9)
        message = self.env["iap.sms.message"].search([("partner_id", "=", self.partner.id)])
        self.assertEqual((message.state, message.create_uid), ("sent", user))
        self.assertEqual(self.partner.with_user(user).iap_sms_count, 1)
        # SMS bodies are personal data: a user sees the SMS they sent, not the others'.
        self._composer(self.partner, "Sent by the admin").action_send_sms()
        self.partner.invalidate_recordset(["iap_sms_count"])
        self.assertEqual(self.partner.with_user(user).iap_sms_count, 1)
        self.assertEqual(self.partner.iap_sms_count, 2)


class TestSmsDemo(TransactionCase):
    """With demo data, the admin sends an SMS from a contact through the sandbox."""

    def test_demo_admin_sends_from_contact(self):
        account = self.env.ref("iap_credits.iap_account_sms_demo", raise_if_not_found=False)
        if not account:
            self.skipTest("installed without demo data")
        self.assertEqual(account.sms_gateway_id.code, "sandbox")
        admin_env = self.env(user=self.env.ref("base.user_admin"))
        partner = admin_env.ref("base.res_partner_1")
        before = account.credit_balance
        composer = (
            admin_env["sms.composer"]
            .with_context(
                default_res_model="res.partner",
                default_res_id=partner.id,
                default_number_field_name="phone",
                default_composition_mode="comment",
            )
            .create({"body": "Your order is ready"})
        )
        self.assertEqual(composer.iap_credits_estimate, 1)
        composer.action_send_sms()
        account.invalidate_recordset()
        self.assertEqual(account.credit_balance, before - 1)
        outbox = admin_env["iap.sms.message"].search([("partner_id", "=", partner.id)])
        self.assertRecordValues(
            outbox, [{"number": "+16238537197", "state": "sent", "credits": 1, "gateway_id": account.sms_gateway_id.id}]
        )
        notification = partner.message_ids.filtered(lambda m: m.message_type == "sms")[:1].notification_ids
        self.assertEqual(notification.notification_status, "pending")
