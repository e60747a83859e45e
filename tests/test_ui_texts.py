# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""What a user reads: figures formatted as Odoo formats them, in the user's language; the
warning of the SMS composer before sending; the language of the Buy Credit pages; the page
of the addon in Apps.

Languages other than English are activated in the test database: French for its number and
date formats (the separators are the language's, whatever this addon's translations), and
Simplified Chinese with the translations of this addon and of the stock modules it corrects.
"""

import re
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html
from PIL import Image

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import TransactionCase
from odoo.tools import format_amount, format_date, formatLang

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from . import digitization_corpus as corpus
from .common import IapCreditsCase, load_zh_cn, setup_local_sms_account
from .common_sms import IapSmsHttpCase
from .local_server import serve
from .test_credit_purchase import CreditPurchaseCase
from .test_digitization import ExtractionApi

ROOT = Path(__file__).resolve().parent.parent
NBSP = "\N{NO-BREAK SPACE}"


def text(body):
    """The text of an HTML message body, entities decoded (``&nbsp;`` is a no-break space)."""
    return lxml_html.fromstring(str(body)).text_content()


def french(env):
    """French activated; its separators, as Odoo formats numbers in French."""
    env["res.lang"]._activate_lang("fr_FR")
    lang = env["res.lang"]._get_data(code="fr_FR")
    return lang.thousands_sep, lang.decimal_point


class TestFormattedCredits(IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.thousands, cls.decimal = french(cls.env)

    def test_credits_in_the_users_language_and_precision(self):
        self.assertEqual(self.account.with_context(lang="en_US")._format_credits(1234.5), f"1,234.50{NBSP}Credits")
        self.assertEqual(
            self.account.with_context(lang="fr_FR")._format_credits(1234.5),
            f"1{self.thousands}234{self.decimal}50{NBSP}Credits",
        )
        self.env.ref("iap_credits.decimal_precision_iap_credits").digits = 3
        self.assertEqual(self.account.with_context(lang="en_US")._format_credits(2), f"2.000{NBSP}Credits")

    def test_unit_of_a_custom_service_is_its_own_translation(self):
        service = self.env["iap.service"].create(
            {
                "name": "Pages",
                "technical_name": "test_pages",
                "description": "Pages",
                "unit_name": "Pages",
                "integer_balance": False,
            }
        )
        service.with_context(lang="fr_FR").unit_name = "Feuilles"
        # No local engine for this service: its account runs on Odoo IAP, and shows its unit alike.
        account = self.env["iap.account"].create({"service_id": service.id, "credit_mode": "odoo"})
        self.assertEqual(account.with_context(lang="fr_FR").unit_name, "Feuilles")
        self.assertEqual(account.with_context(lang="fr_FR")._format_credits(3), f"3{self.decimal}00{NBSP}Feuilles")
        self.assertEqual(account.with_context(lang="en_US").unit_name, "Pages")

    def test_insufficient_credit_error_formats_its_figures(self):
        self.account._credits_grant(5, "Test credits")
        with self.assertRaises(InsufficientCreditError) as caught:
            self.account.with_context(lang="fr_FR")._credits_reserve(8, "Campaign")
        message = str(caught.exception)
        self.assertIn(f"8{self.decimal}00 needed, 5{self.decimal}00 available", message)

    def test_adjustment_message(self):
        wizard = (
            self.env["iap.credit.adjustment"]
            .with_user(self.manager)
            .with_context(lang="fr_FR")
            .create({"account_id": self.account.id, "operation": "grant", "credits": 1234.5, "reason": "Gift"})
        )
        wizard.action_confirm()
        body = text(self.account.message_ids[0].body)
        self.assertIn(f"1{self.thousands}234{self.decimal}50{NBSP}Credits — Gift", body)
        self.assertNotIn("1234.5", body)

    def test_view_my_services_shows_balances_alike_and_no_total_of_mixed_units(self):
        self.account._credits_grant(1234.5, "Test credits")
        values = self.account.with_context(lang="fr_FR").web_read({"balance": {}, "company_display": {}})[0]
        self.assertEqual(values["balance"], f"1{self.thousands}234{self.decimal}50{NBSP}Credits")
        self.assertEqual(values["company_display"], self.company.name)
        shared = self.env["iap.account"].create({"service_id": self.service_sms.id, "credit_mode": "local"})
        self.assertEqual(shared.company_display, "All companies")
        arch = self.env["iap.account"].get_views([(False, "list")])["views"]["list"]["arch"]
        available = etree.fromstring(arch).xpath("//field[@name='credit_available']")
        self.assertEqual(len(available), 1)
        self.assertFalse(available[0].get("sum"), "Credits, Enrichments, Stamps cannot be added up")

    def test_tracked_threshold_has_the_forms_label(self):
        self.account.warning_threshold = 20
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracking = self.account.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "warning_threshold"
        )
        self.assertEqual(tracking.field_id.field_description, "Warning Threshold")


class TestUnitsInChinese(IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_zh_cn(cls.env)
        # The stock translation of the SMS unit, which this addon replaces by its own term.
        cls.env["ir.module.module"].search([("name", "=", "sms")])._update_translations(["zh_CN"])

    def test_stock_units_take_this_addons_term(self):
        stock = self.service_sms.with_context(lang="zh_CN").unit_name
        self.assertEqual(stock, "信用", "the stock sms translation of the unit (what this addon replaces)")
        label = self.account.with_context(lang="zh_CN").unit_name
        self.assertNotEqual(label, stock)
        self.assertEqual(label, self.env(context={"lang": "zh_CN"})._("Credits"))
        pack = self.env["iap.credit.pack"].create(
            {
                "name": "Pack",
                "service_id": self.service_sms.id,
                "credits": 10,
                "price": 1,
                "company_id": self.company.id,
            }
        )
        self.assertEqual(pack.with_context(lang="zh_CN").unit_name, label)


class TestPurchaseMessages(CreditPurchaseCase):
    def test_purchase_and_refund_messages_format_credits_and_money(self):
        _thousands, decimal = french(self.env)
        self.account._credits_grant(10, "Welcome")
        tx = self._create_tx().with_context(lang="fr_FR")
        self._simulate(tx, "done")
        body = text(self.account.message_ids.filtered(lambda m: tx.reference in (m.body or ""))[0].body)
        fr_env = self.env(context={"lang": "fr_FR"})
        self.assertIn(f"150{decimal}00{NBSP}Credits bought", body)
        self.assertIn(format_amount(fr_env, 12.5, self.pack.currency_id), body)
        self.assertIn(f"New balance: 160{decimal}00{NBSP}Credits", body)
        self.assertNotIn("12.5 ", body)


class TestDigitizationTexts(IapCreditsCase):
    """The messages of a digitized bill, in the language of who asked for it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.thousands, cls.decimal = french(cls.env)
        load_zh_cn(cls.env)
        cls.env.ref("base.EUR").active = True
        cls.ocr_account = cls.env["iap.credit.dispatch"]._get_account("invoice_ocr", cls.company)
        cls.ocr_account.write({"credit_mode": "local", "digitization_gateway": "tesseract"})
        groups = "base.group_user,account.group_account_invoice"
        cls.fr_user = new_test_user(cls.env, login="iap_credits_fr_billing", groups=groups, lang="fr_FR")
        cls.zh_user = new_test_user(cls.env, login="iap_credits_zh_billing", groups=groups, lang="zh_CN")
        cls.pdf = corpus.render_pdf(corpus.BILLS[0])

    def _start_api(self):
        ExtractionApi.requests = []
        url = serve(self, ExtractionApi)
        self.ocr_account.write(
            {
                "digitization_gateway": "http",
                "digitization_http_url": f"{url}/extract",
                "digitization_http_api_key": "s3cret",
            }
        )

    def _queued_bill(self, user):
        move = self.env["account.move"].create({"move_type": "in_invoice"})
        attachment = self.env["ir.attachment"].create(
            {"name": "bill.pdf", "raw": self.pdf, "mimetype": "application/pdf", "res_model": "account.move"}
            | {"res_id": move.id}
        )
        move.message_main_attachment_id = attachment
        move.with_user(user).action_digitize()
        return move

    def test_done_message_in_the_requesters_language(self):
        self._start_api()
        self.ocr_account._credits_grant(5, "Test credits")
        move = self._queued_bill(self.fr_user)
        self.env["account.move"]._digitize_queued()
        self.assertEqual(move.digitization_state, "done", move.digitization_error)
        fr_env = self.env(context={"lang": "fr_FR"})
        body = text(move.message_ids[0].body)
        eur = self.env.ref("base.EUR")
        for amount in (100.0, 19.0, 119.0):
            self.assertIn(format_amount(fr_env, amount, eur), body)
        self.assertIn(format_date(fr_env, "2025-03-05"), body)
        self.assertIn(f"1{self.decimal}00{NBSP}Credits spent", body)
        self.assertNotIn("100.0", body)
        # The newest capture: the demo's digitized documents were paid by this account too.
        capture = self.ocr_account.transaction_ids.filtered(lambda t: t.kind == "capture").sorted("id")[-1]
        self.assertIn(f"#{move.id}", capture.description, "the ledger row names the draft bill")

    def test_out_of_credit_failure_in_the_requesters_language(self):
        if self.ocr_account.credit_available:
            self.ocr_account._credits_debit(self.ocr_account.credit_available, "Spent elsewhere")
        move = self._queued_bill(self.zh_user)
        self.env["account.move"]._digitize_queued()
        self.assertEqual((move.digitization_state, move.digitization_error_code), ("failed", "no_credit"))
        self.assertIn("点数不足", move.digitization_error)
        self.assertNotIn("Not enough", move.digitization_error)
        self.assertIn("文档数字化失败", text(move.message_ids[0].body))
        zh_env = self.env(context={"lang": "zh_CN"})
        self.assertIn(f"需要 {formatLang(zh_env, 1, dp='IAP Credits')}", move.digitization_error)


@tagged("post_install", "-at_install")
class TestSmsComposerWarning(IapSmsHttpCase):
    """The composer warns before sending, as the web client computes it: over JSON-RPC, as a user."""

    SPEC = {
        "iap_credits_estimate": {},
        "iap_credits_available": {},
        "iap_credits_short": {},
        "iap_credits_buy_url": {},
        "iap_credits_warning": {},
        "iap_credits_recipients": {},
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, login="iap_credits_sms_sender", groups="base.group_user")

    def _composer(self, context, body="Hello"):
        """The values of a new composer with ``body``, as the web client opens it."""
        self.authenticate(self.user.login, self.user.login)
        context = {**context, "default_body": body}
        spec = {"body": {}, **self.SPEC}
        result = self._call_kw("sms.composer", "onchange", [[], {}, [], spec], {"context": context})
        return result["value"]

    def _contact_context(self):
        return {
            "default_res_model": "res.partner",
            "default_res_id": self.partner.id,
            "default_number_field_name": "phone",
            "default_composition_mode": "comment",
        }

    def test_warning_and_buy_link_before_sending(self):
        self.account._credits_grant(0.5, "Not enough for one SMS")
        values = self._composer(self._contact_context())
        self.assertEqual((values["iap_credits_estimate"], values["iap_credits_available"]), (1.0, 0.5))
        self.assertTrue(values["iap_credits_short"])
        self.assertTrue(values["iap_credits_buy_url"].endswith(f"/iap_credits/buy/{self.account.id}"))
        warning = lxml_html.fromstring(values["iap_credits_warning"])
        link = warning.xpath("//a[contains(@class, 'o_iap_credits_sms_buy')]")
        self.assertEqual([a.get("href") for a in link], [values["iap_credits_buy_url"]])
        self.assertEqual(link[0].text_content(), "Buy credits")
        self.assertIn(f"needs 1.00{NBSP}Credits, 0.50{NBSP}Credits available", warning.text_content())

    def test_no_warning_with_enough_credits(self):
        self.account._credits_grant(10, "Enough")
        values = self._composer(self._contact_context())
        self.assertFalse(values["iap_credits_short"])
        self.assertFalse(values["iap_credits_buy_url"])
        self.assertFalse(values["iap_credits_warning"])

    def test_mass_mode_prices_each_destination(self):
        france = self.env.ref("base.fr")
        self.env["iap.sms.rate"].create({"service_id": self.service_sms.id, "prefix": "+33", "credit_price": 3})
        partners = self.partner | self.env["res.partner"].create(
            [
                {"name": "Bob SMS", "phone": "0470 12 34 57", "country_id": self.env.ref("base.be").id},
                {"name": "Chloé SMS", "phone": "06 12 34 56 78", "country_id": france.id},
            ]
        )
        context = {
            "active_model": "res.partner",
            "active_ids": partners.ids,
            "default_res_model": "res.partner",
            "default_res_ids": repr(partners.ids),
            "default_composition_mode": "mass",
        }
        self.account._credits_grant(4, "Not enough for the French one")
        values = self._composer(context)
        self.assertEqual(values["iap_credits_recipients"], 3)
        self.assertEqual(values["iap_credits_estimate"], 5.0, "1 + 1 for Belgium, 3 for France")
        self.assertTrue(values["iap_credits_short"])
        self.account._credits_grant(1, "Enough now")
        self.assertFalse(self._composer(context)["iap_credits_short"])


@tagged("post_install", "-at_install")
class TestBuyCreditPagesLanguage(HttpCase):
    """The pack page speaks the logged-in user's language, whatever the website cookie says."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_zh_cn(cls.env)
        setup_local_sms_account(cls)
        cls.account.name = cls.service_sms.name  # the header says it once
        groups = "base.group_user,iap_credits.group_iap_credits_manager"
        cls.zh_manager = new_test_user(cls.env, login="iap_credits_zh_manager", groups=groups, lang="zh_CN")
        cls.en_manager = new_test_user(cls.env, login="iap_credits_en_manager", groups=groups, lang="en_US")
        cls.env["iap.credit.pack"].create(
            {"name": "Pack", "service_id": cls.service_sms.id, "credits": 10, "price": 1, "company_id": cls.company.id}
        )

    def _page(self, user, cookie_lang):
        self.authenticate(user.login, user.login)
        self.opener.cookies.set("frontend_lang", cookie_lang)
        response = self.url_open(f"/iap_credits/buy/{self.account.id}")
        self.assertEqual(response.status_code, 200)
        return response

    def test_chinese_user_gets_chinese_despite_an_english_cookie(self):
        response = self._page(self.zh_manager, "en_US")
        self.assertIn("可用点数", response.text)
        self.assertNotIn("Available credits", response.text)
        self.assertEqual(response.cookies.get("frontend_lang"), "zh_CN", "the payment pages that follow too")

    def test_english_user_gets_english_despite_a_chinese_cookie(self):
        response = self._page(self.en_manager, "zh_CN")
        self.assertIn("Available credits", response.text)
        self.assertNotIn("可用点数", response.text)

    def test_header_says_the_account_once_and_no_placeholder_logo(self):
        self.assertTrue(self.company.uses_default_logo)
        page = lxml_html.fromstring(self._page(self.en_manager, "en_US").text)
        self.assertFalse(page.xpath("//*[contains(@class, 'o_iap_credits_service')]"), "not 'SMS / SMS'")
        self.assertFalse(page.xpath("//nav//img[contains(@src, '/logo.png')]"), "no placeholder logo")
        self.assertEqual(
            page.xpath("//nav//*[contains(@class, 'o_iap_credits_company_name')]")[0].text, self.company.name
        )
        self.assertFalse(page.xpath("//*[contains(@class, 'js_language_selector')]"), "the user's language rules")


class TestAppsPage(TransactionCase):
    """Apps shows static/description/index.html (with its icon), not README.md run through docutils."""

    def test_index_html_and_icon(self):
        index = ROOT / "static" / "description" / "index.html"
        self.assertTrue(index.is_file())
        sources = re.findall(r'<img [^>]*src="([^"]+)"', index.read_text())
        self.assertGreaterEqual(len(sources), 5)
        for source in sources:
            self.assertTrue((index.parent / source).is_file(), source)
        module = self.env["ir.module.module"].search([("name", "=", "iap_credits")])
        description = str(module.description_html)
        self.assertIn("IAP Credits (local)", description)
        self.assertIn('src="/iap_credits/static/description/view_my_services.png"', description)
        self.assertNotIn("```", description, "the README's Markdown is not shown")
        self.assertEqual(module.icon, "/iap_credits/static/description/icon.png")
        with Image.open(ROOT / "static" / "description" / "icon.png") as icon:
            self.assertEqual(icon.size, (128, 128))
