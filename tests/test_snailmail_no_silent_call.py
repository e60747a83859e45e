# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""No silent call to Odoo for a local snail mail account.

Every stock IAP endpoint parameter (`snailmail.endpoint` among them) points at the
recorder of `iap_recorder`, with the stock clients' test guards lifted: posting letters
(Send & Print by Post over JSON-RPC, the queue job, Send Now, refusals, too few credits),
the status job and the account's stock buttons leave it empty. The same letter on an
*Odoo IAP* account does reach it: the recorder sees what would go out.
"""

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tests.common import HttpCase

from .common import JsonRpcMixin
from .common_snailmail import SnailmailMixin, setup_snailmail
from .iap_recorder import IapRecorderMixin


@tagged("post_install", "-at_install")
class TestSnailmailNoSilentCall(IapRecorderMixin, SnailmailMixin, JsonRpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_snailmail(cls)
        cls.account._credits_grant(5, "Welcome")
        cls.company.external_report_layout_id = cls.env.ref("web.external_layout_standard")

    def test_local_letters_never_reach_odoo(self):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [Command.create({"name": "Consulting", "quantity": 1, "price_unit": 100})],
            }
        )
        invoice.action_post()
        self.authenticate("admin", "admin")
        wizard_id = self._call_kw(
            "account.move.send.wizard", "create", [{"move_id": invoice.id, "sending_methods": ["snailmail"]}]
        )
        self._call_kw("account.move.send.wizard", "action_send_and_print", [[wizard_id]])
        self.env["snailmail.letter"].with_context(force_report_rendering=True)._snailmail_cron(autocommit=False)
        posted = self.env["snailmail.letter"].search([("model", "=", "account.move"), ("res_id", "=", invoice.id)])

        refused = self._letter(pdf=b"not a PDF")
        refused._snailmail_print()
        short = self._letter(pages=30)
        short._snailmail_print()
        resent = self._letter()
        response = self._call("snailmail.letter", "snailmail_print", [[resent.id]])  # Send Now, as the web client
        self.assertNotIn("error", response)
        self.env["iap.snailmail.post"]._poll_status()
        for method, args in (("get_credits", ["snailmail"]), ("get_credits_url", ["snailmail"])):
            self.assertRpcDone(self._call("iap.account", method, args))
        self.assertRpcDone(
            self._call("iap.account", "web_read", [self.account.ids], {"specification": {"balance": {}, "state": {}}})
        )

        self.assertEqual(
            [posted.state, refused.error_code, short.error_code, resent.state],
            ["sent", "FORMAT_ERROR", "CREDIT_ERROR", "sent"],
        )
        self.assertNothingSentToOdoo()

        # The same letter on an Odoo IAP account goes to Odoo's snail mail server, as in stock.
        self.account.credit_mode = "odoo"
        stock_letter = self._letter()
        with self.assertRaises(AccessError):  # the recorder does not answer as Odoo's print server
            stock_letter._snailmail_print_valid_address()
        self.assertEqual(self.recorder.paths(), ["/iap/snailmail/1/print"])
        self.assertEqual(self.recorder.requests[0]["params"]["documents"][0]["letter_id"], stock_letter.id)
        self.assertFalse(self._posts(stock_letter))
