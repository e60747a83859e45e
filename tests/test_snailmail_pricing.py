# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The price of a letter: one function (pages, colour, destination country, with rates per
country like the SMS rates); the price shown in Send & Print before sending, on the letter
and on the Post Outbox; and that what was shown is what is charged."""

from psycopg2 import IntegrityError

from odoo import Command
from odoo.modules.migration import load_script
from odoo.tests import tagged
from odoo.tools import file_path, mute_logger

from ..tools.snailmail_pages import estimated_document_pages, estimated_rows, letter_pages
from .common import IapCreditsCase
from .common_snailmail import SnailmailMixin, make_pdf, setup_snailmail


@tagged("post_install", "-at_install")
class TestSnailmailPricing(SnailmailMixin, IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_snailmail(cls)
        cls.belgium = cls.env.ref("base.be")
        cls.france = cls.env.ref("base.fr")
        cls.japan = cls.env.ref("base.jp")
        cls.service.snailmail_color_price = 0.1
        cls.rate_fr = cls.env["iap.snailmail.rate"].create(
            {"country_id": cls.france.id, "letter_price": 2.0, "page_price": 0.75, "color_price": 0.25}
        )
        cls.company.external_report_layout_id = cls.env.ref("web.external_layout_standard")

    def _invoice(self, partner=None, lines=1):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or self.partner).id,
                "invoice_date": "2026-01-15",
                "invoice_line_ids": [
                    Command.create({"name": f"Consulting, part {n + 1}", "quantity": 1, "price_unit": 100})
                    for n in range(lines)
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _wizard(self, invoice, methods=("snailmail",)):
        return self.env["account.move.send.wizard"].create({"move_id": invoice.id, "sending_methods": list(methods)})

    # ------------------------------------------------------------
    # The pricing function
    # ------------------------------------------------------------

    def test_service_prices_when_no_rate(self):
        price = self.service._snailmail_letter_price
        self.assertEqual(price(1), 1.0, "a one-page letter in black and white: the letter price")
        self.assertEqual(price(3), 2.0, "plus 0.5 per page beyond the first")
        self.assertEqual(price(3, color=True), 2.3, "plus 0.1 per page printed in colour")
        self.assertEqual(price(0, color=True), 1.1, "a letter is at least one page")
        self.assertEqual(price(3, color=True, country=self.japan), 2.3, "a country without a rate: the service's")
        self.assertEqual(price(3, color=True, country=self.env["res.country"]), 2.3, "no country: the service's")

    def test_country_rate(self):
        price = self.service._snailmail_letter_price
        self.assertEqual(price(1, country=self.france), 2.0)
        self.assertEqual(price(3, country=self.france), 3.5, "2 + 2 x 0.75")
        self.assertEqual(price(3, color=True, country=self.france), 4.25, "+ 3 x 0.25 of the rate's colour")
        self.assertEqual(price(3, color=True, country=self.belgium), 2.3, "Belgium has no rate: the service's")
        # The service's prices do not leak into a country's rate, and the other way round.
        self.service.write({"credit_unit_price": 5, "snailmail_page_price": 5, "snailmail_color_price": 5})
        self.assertEqual(price(3, color=True, country=self.france), 4.25)
        self.assertEqual(price(1, color=True, country=self.belgium), 10.0)
        self.rate_fr.unlink()
        self.assertEqual(price(1, country=self.france), 5.0, "the rate gone, the service's prices again")

    def test_rate_constraints(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.env["iap.snailmail.rate"].create({"country_id": self.france.id, "letter_price": 1})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.env["iap.snailmail.rate"].create({"country_id": self.japan.id, "letter_price": 1, "color_price": -1})
        rate = self.env["iap.snailmail.rate"].create({"country_id": self.japan.id, "letter_price": 3})
        self.assertEqual(rate.service_id, self.service, "a rate belongs to the snail mail service by default")
        self.assertEqual(rate.display_name, self.japan.display_name)

    def test_letter_is_charged_its_country_rate_and_colour(self):
        self.account._credits_grant(20, "Welcome")
        french = self.partner.copy({"name": "Bob Poste", "city": "Paris", "zip": "75001", "country_id": self.france.id})
        in_colour = self._letter(partner=french, pages=3, color=True)
        black = self._letter(partner=french, pages=3, color=False)
        local = self._letter(pages=2, color=True)
        (in_colour | black | local)._snailmail_print()
        self.assertEqual(set((in_colour | black | local).mapped("state")), {"sent"})
        posts = {letter: self._posts(letter) for letter in (in_colour, black, local)}
        self.assertEqual((posts[in_colour].price, posts[in_colour].credits), (4.25, 4.25))
        self.assertEqual((posts[black].price, posts[black].credits), (3.5, 3.5))
        self.assertEqual((posts[local].price, posts[local].credits), (1.7, 1.7), "1 + 0.5 + 2 x 0.1")
        self.assertCredits(self.account, 20 - 4.25 - 3.5 - 1.7)

    def test_refused_letter_keeps_its_price_not_charged(self):
        self.account._credits_grant(20, "Welcome")
        api = self._start_api("http")
        api.refused_cities.add("Ixelles")
        self.account.snailmail_gateway_id = self._http_gateway(api.url)
        letter = self._letter(pages=2, color=True)
        letter._snailmail_print()
        post = self._posts(letter)
        self.assertEqual((letter.state, post.state), ("error", "error"))
        self.assertEqual((post.price, post.credits), (1.7, 0.0), "the price it would have cost, nothing charged")
        self.assertCredits(self.account, 20)

    # ------------------------------------------------------------
    # Pages before the PDF exists
    # ------------------------------------------------------------

    def test_page_estimate_tools(self):
        self.assertEqual(estimated_rows(["Consulting"]), 1)
        self.assertEqual(estimated_rows(["a" * 61, "one\ntwo", False]), 5, "2 wrapped + 2 rows + an empty line")
        self.assertEqual(estimated_document_pages([]), 1)
        self.assertEqual(estimated_document_pages(["line"] * 25), 1)
        self.assertEqual(estimated_document_pages(["line"] * 26), 2)
        self.assertEqual(estimated_document_pages(["line"] * 70), 2)
        self.assertEqual(estimated_document_pages(["line"] * 71), 3)
        self.assertEqual(letter_pages(2), 2)
        self.assertEqual(letter_pages(0), 1)
        self.assertEqual(letter_pages(2, cover=True), 3, "the stock cover page")
        self.assertEqual(letter_pages(2, cover=True, duplex=True), 4, "and the blank page behind it")
        self.assertEqual(letter_pages(2, duplex=True), 2)

    # ------------------------------------------------------------
    # Send & Print: the price before sending
    # ------------------------------------------------------------

    def test_wizard_estimates_an_invoice_not_rendered(self):
        self.account._credits_grant(10, "Welcome")
        invoice = self._invoice(lines=3)
        self.assertFalse(invoice.invoice_pdf_report_id)
        wizard = self._wizard(invoice)
        alert = wizard.alerts["iap_credits_snailmail_price"]
        self.assertEqual(alert["level"], "info")
        estimate = wizard._iap_credits_snailmail_estimate(invoice)
        self.assertEqual(
            {key: estimate[key] for key in ("letters", "pages", "estimated", "credits", "available", "short")},
            {"letters": 1, "pages": 1, "estimated": True, "credits": 1.1, "available": 10.0, "short": False},
            "3 lines fit one page; the company prints in colour: 1 + 0.1",
        )
        self.assertIn("By Post: about 1.10\N{NO-BREAK SPACE}Stamps for 1 letter(s)", alert["message"])
        self.assertIn("estimated on 1 page(s) in colour to Belgium", alert["message"])
        self.assertIn("the PDF is not rendered yet", alert["message"])
        self.assertIn("Available: 10.00\N{NO-BREAK SPACE}Stamps", alert["message"])

        # The company's options as the letter will be posted: a cover page, black and white, abroad.
        self.company.write({"snailmail_cover": True, "snailmail_duplex": True, "snailmail_color": False})
        self.partner.write({"country_id": self.france.id, "city": "Paris", "zip": "75001"})
        estimate = self._wizard(invoice)._iap_credits_snailmail_estimate(invoice)
        self.assertEqual((estimate["pages"], estimate["credits"]), (3, 3.5), "cover + blank back: 2 + 2 x 0.75")

        # A long invoice takes more pages.
        long_invoice = self._invoice(lines=40)
        estimate = self._wizard(long_invoice)._iap_credits_snailmail_estimate(long_invoice)
        self.assertEqual((estimate["pages"], estimate["estimated"]), (4, True), "2 pages + cover + blank back")

    def test_wizard_price_of_a_rendered_invoice_is_the_price_charged(self):
        self.account._credits_grant(10, "Welcome")
        self.env["iap.snailmail.rate"].create(
            {"country_id": self.belgium.id, "letter_price": 1.5, "page_price": 0.5, "color_price": 0.25}
        )
        invoice = self._invoice(lines=30)
        # The invoice PDF generated once (Send & Print, download): its pages are known.
        self.env["account.move.send"].with_context(force_report_rendering=True)._generate_and_send_invoices(
            invoice, sending_methods=["manual"]
        )
        self.assertTrue(invoice.invoice_pdf_report_id)
        wizard = self._wizard(invoice)
        estimate = wizard._iap_credits_snailmail_estimate(invoice)
        self.assertEqual((estimate["pages"], estimate["estimated"]), (2, False), "30 lines: two pages")
        self.assertEqual(estimate["credits"], 2.5, "Belgium's rate: 1.5 + 0.5 + 2 x 0.25")
        message = wizard.alerts["iap_credits_snailmail_price"]["message"]
        self.assertIn("By Post: 2.50\N{NO-BREAK SPACE}Stamps for 1 letter(s), 2 page(s) in colour to Belgium", message)
        self.assertNotIn("about", message)

        wizard.with_context(force_report_rendering=True).action_send_and_print()
        letter = self.env["snailmail.letter"].search([("model", "=", "account.move"), ("res_id", "=", invoice.id)])
        self.assertEqual((letter.iap_credits_price, letter.iap_credits_price_state), (2.5, "to_charge"))
        self.env["snailmail.letter"].with_context(force_report_rendering=True)._snailmail_cron(autocommit=False)
        self.assertEqual(letter.state, "sent", letter.info_msg)
        post = self._posts(letter)
        self.assertEqual((post.pages, post.credits), (2, 2.5), "the price shown is the price charged")
        self.assertCredits(self.account, 7.5)
        letter.invalidate_recordset()
        self.assertEqual((letter.iap_credits_price, letter.iap_credits_price_state), (2.5, "charged"))

    def test_wizard_warns_when_credits_are_short(self):
        self.account._credits_grant(1, "Welcome")
        invoice = self._invoice()
        alert = self._wizard(invoice).alerts["iap_credits_snailmail_price"]
        self.assertEqual(alert["level"], "warning", "1.1 needed, 1 available")
        self.assertIn("Not enough credits", alert["message"])
        self.assertEqual(alert["action_text"], "Buy credits")
        self.assertEqual(alert["action"]["type"], "ir.actions.act_url")
        self.assertEqual(alert["action"]["url"], self.env["iap.account"].get_credits_url(service_name="snailmail"))
        self.assertIn(self.account._get_buy_credits_path(), alert["action"]["url"])
        # Sending anyway is allowed, as in stock: the letter fails with CREDIT_ERROR, nothing charged.
        self.assertNotEqual(alert["level"], "danger")

    def test_wizard_shows_nothing_unless_by_post_with_local_credits(self):
        self.account._credits_grant(10, "Welcome")
        invoice = self._invoice()
        self.assertIn("iap_credits_snailmail_price", self._wizard(invoice).alerts)
        self.assertNotIn("iap_credits_snailmail_price", self._wizard(invoice, methods=["email"]).alerts or {})
        no_address = self._invoice(partner=self.partner.copy({"street": False}))
        alerts = self._wizard(no_address).alerts
        self.assertIn("snailmail_account_partner_invalid_address", alerts, "stock's alert")
        self.assertNotIn("iap_credits_snailmail_price", alerts, "no letter, no price")
        # Odoo IAP: the stock wizard, untouched.
        self.account.credit_mode = "odoo"
        self.assertNotIn("iap_credits_snailmail_price", self._wizard(invoice).alerts or {})
        self.assertIsNone(self.env["account.move.send"]._iap_credits_snailmail_estimate(invoice))

    def test_batch_wizard_sums_the_letters(self):
        self.account._credits_grant(10, "Welcome")
        french = self.partner.copy({"name": "Bob Poste", "city": "Paris", "zip": "75001", "country_id": self.france.id})
        (self.partner | french).invoice_sending_method = "snailmail"
        invoices = self._invoice() | self._invoice(partner=french)
        wizard = self.env["account.move.send.batch.wizard"].create({"move_ids": [Command.set(invoices.ids)]})
        message = wizard.alerts["iap_credits_snailmail_price"]["message"]
        self.assertIn("By Post: about 3.35\N{NO-BREAK SPACE}Stamps for 2 letter(s)", message, "1.1 + 2 + 0.25")
        self.assertIn("to 2 countries", message)
        self.assertEqual(wizard.summary_data["snailmail"]["extra"], "(about 3.35\N{NO-BREAK SPACE}Stamps)")

    # ------------------------------------------------------------
    # The letter
    # ------------------------------------------------------------

    def test_letter_shows_its_price(self):
        self.account._credits_grant(10, "Welcome")
        invoice = self._invoice()
        letter = self.env["snailmail.letter"].create(
            {"user_id": self.env.user.id, **self.env["account.move.send"]._prepare_snailmail_letter_values(invoice)}
        )
        self.assertTrue(letter.iap_credits_local)
        self.assertEqual(
            (letter.iap_credits_pages, letter.iap_credits_price, letter.iap_credits_price_state),
            (1, 1.1, "estimated"),
            "not rendered yet: estimated from the invoice",
        )
        ready = self._letter(pages=3)
        self.assertEqual((ready.iap_credits_pages, ready.iap_credits_price, ready.iap_credits_price_state),
                         (3, 2.3, "to_charge"))  # fmt: skip
        ready._snailmail_print()
        ready.invalidate_recordset()
        self.assertEqual((ready.iap_credits_price, ready.iap_credits_price_state), (2.3, "charged"))
        self.service.credit_unit_price = 9
        ready.invalidate_recordset()
        self.assertEqual(ready.iap_credits_price, 2.3, "a letter posted keeps the price it was charged")

        self._posts(ready)._snailmail_apply_status("cancelled", cancellation_reason="user_initiated")
        ready.invalidate_recordset()
        self.assertEqual((ready.iap_credits_price, ready.iap_credits_price_state), (2.3, "given_back"))

        self.account.credit_mode = "odoo"
        other = self._letter(pdf=make_pdf(1))
        self.assertFalse(other.iap_credits_local, "Odoo IAP letters: nothing shown")

    # ------------------------------------------------------------
    # Upgrade
    # ------------------------------------------------------------

    def test_migration_prices_the_letters_posted_before(self):
        self.account._credits_grant(10, "Welcome")
        accepted = self._letter(pages=3)
        accepted._snailmail_print()
        api = self._start_api("http")
        api.mode = "error"
        self.account.snailmail_gateway_id = self._http_gateway(api.url)
        failed = self._letter(pages=2)
        failed._snailmail_print()
        posts = self._posts(accepted | failed)
        self.assertEqual(len(posts), 2)
        posts.price = 0  # as the rows of 19.0.1.1.0, which had no price
        script = file_path("iap_credits/migrations/19.0.1.2.0/post-migrate.py")
        load_script(script, "post-migrate").migrate(self.env.cr, "19.0.1.1.0")
        posts.invalidate_recordset()
        self.assertEqual(self._posts(accepted).price, 2.3, "what it was charged")
        self.assertEqual((self._posts(failed).price, self._posts(failed).credits), (1.5, 0.0))
