# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The two main journeys in headless Chromium, in English and in Simplified Chinese.

1. An SMS from a contact with too few credits: the composer warns before sending (the
   shortage in the warning colour, a Buy credits link), and the link opens the packs.
2. Buying a pack: Settings → View My Services → account → Buy Credit → pack → pay with the
   demo provider → the balance is raised.

The tours are the same in both languages: they get the texts to expect from the
translation files (``common_tours``), so a page that stays English for a Chinese user fails.
"""

from odoo.tests import tagged

from .common import load_zh_cn
from .common_sms import IapSmsHttpCase
from .common_tours import JourneyTourMixin, buy_credits_texts, sms_shortage_texts

BODY = "Not enough credits for this one"


class JourneyTours(JourneyTourMixin):
    """The journeys of the administrator, whose language is ``lang``."""

    lang = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.lang == "zh_CN":
            load_zh_cn(cls.env)
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.lang = cls.lang
        cls.provider = cls.env.ref("payment.payment_provider_demo")
        if cls.provider.module_id.state != "installed" or cls.provider.state == "disabled":
            raise AssertionError("The purchase pays with the demo provider: install payment_demo (dev/test.sh does).")
        cls.account.name = "Tour SMS account"
        cls.env["iap.credit.pack"].create(
            {
                "name": "Tour Pack",
                "service_id": cls.service_sms.id,
                "credits": 100,
                "bonus_credits": 50,
                "price": 9.99,
                "company_id": cls.company.id,
            }
        )

    def test_sms_shortage_warns_and_links_to_the_packs(self):
        self.account._credits_grant(0.5, "Not enough for one SMS")
        texts = sms_shortage_texts(self.texts_of("admin"), BODY, needed=1, available=0.5)
        self.start_journey_tour(
            f"/odoo/contacts/{self.partner.id}", "iap_credits_sms_shortage_buy_link", texts, login="admin"
        )
        self.assertFalse(self.env["iap.sms.message"].search([("partner_id", "=", self.partner.id)]), "nothing sent")
        self.assertCredits(0.5)

    def test_buy_a_pack(self):
        self.account._credits_grant(10, "Welcome")
        self.assertTrue(self.admin.has_group("iap_credits.group_iap_credits_manager"))
        texts = buy_credits_texts(self.texts_of("admin"))
        self.start_journey_tour("/odoo/settings", "iap_credits_buy_credits", texts, login="admin")
        self.assertCredits(160)
        purchase = self.account.transaction_ids.filtered(lambda t: t.kind == "purchase")
        self.assertEqual(len(purchase), 1)
        self.assertEqual((purchase.origin_ref.state, purchase.origin_ref.provider_id), ("done", self.provider))

    def assertCredits(self, balance):
        self.account.invalidate_recordset()
        self.assertEqual((self.account.credit_balance, self.account.credit_reserved), (balance, 0))


@tagged("post_install", "-at_install")
class TestJourneyToursEnglish(JourneyTours, IapSmsHttpCase):
    lang = "en_US"


@tagged("post_install", "-at_install")
class TestJourneyToursChinese(JourneyTours, IapSmsHttpCase):
    lang = "zh_CN"
