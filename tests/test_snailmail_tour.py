# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The user journey in a real browser: invoice → Send & Print → by Post → the price shown
→ Send; the queue job posts the letter with the sandbox; the Post Outbox shows it, and the
balance dropped by the price shown."""

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tests.common import HttpCase

from .common_snailmail import SnailmailMixin, setup_snailmail


@tagged("post_install", "-at_install")
class TestSnailmailTour(SnailmailMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_snailmail(cls)
        cls.partner.email = "alice.post@example.com"
        # A layout chosen: Send & Print does not open the document layout configurator first.
        cls.company.external_report_layout_id = cls.env.ref("web.external_layout_standard")
        # Letters to Belgium have a rate of their own; the company prints in colour: a one-page
        # letter costs 1.5 + 0.25 = 1.75 stamps, the figure the tour expects in the wizard.
        cls.env["iap.snailmail.rate"].create(
            {"country_id": cls.env.ref("base.be").id, "letter_price": 1.5, "page_price": 0.5, "color_price": 0.25}
        )

    def test_send_invoice_by_post(self):
        self.account._credits_grant(10, "Welcome")
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [Command.create({"name": "Consulting", "quantity": 3, "price_unit": 120})],
            }
        )
        invoice.action_post()
        self.start_tour(
            f"/odoo/action-account.action_move_out_invoice_type/{invoice.id}",
            "iap_credits_snailmail_send_by_post",
            login="admin",
        )
        letter = self.env["snailmail.letter"].search([("model", "=", "account.move"), ("res_id", "=", invoice.id)])
        self.assertEqual(letter.state, "pending", "Send & Print queues the letter, as in stock")

        # The stock queue job, woken up by Send & Print, renders the invoice and posts it.
        self.env["snailmail.letter"].with_context(force_report_rendering=True)._snailmail_cron(autocommit=False)
        self.assertEqual(letter.state, "sent", letter.info_msg)
        self.start_tour("/odoo/action-iap_credits.iap_snailmail_post_action", "iap_credits_snailmail_post_outbox",
                        login="admin")  # fmt: skip
        post = self._posts(letter)
        self.assertEqual((post.state, post.gateway_id, post.document_name), ("accepted", self.sandbox, invoice.name))
        self.assertEqual((post.pages, post.color, post.country_id.code), (1, True, "BE"))
        self.assertEqual((post.price, post.credits), (1.75, 1.75), "the price the wizard showed")
        self.account.invalidate_recordset()
        self.assertEqual(self.account.credit_balance, 8.25)
