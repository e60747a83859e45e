# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The stock letter flow on a local snail mail account, with the sandbox provider: states,
error codes, chatter notifications, the queue job, pricing, and the ledger."""

from odoo import Command
from odoo.tests import tagged

from .common import IapCreditsCase
from .common_snailmail import SnailmailMixin, make_pdf, setup_snailmail


@tagged("post_install", "-at_install")
class TestSnailmailSending(SnailmailMixin, IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_snailmail(cls)

    def _invoice(self):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner.id,
                "invoice_date": "2026-01-15",
                "invoice_line_ids": [Command.create({"name": "Consulting", "quantity": 1, "price_unit": 100})],
            }
        )
        invoice.action_post()
        return invoice

    def assertNotified(self, letter, status, failure_type=False):
        notification = letter.notification_ids
        self.assertEqual(len(notification), 1)
        self.assertEqual((notification.notification_status, notification.failure_type), (status, failure_type))

    # ------------------------------------------------------------
    # Posted
    # ------------------------------------------------------------

    def test_sandbox_posts_and_charges_once(self):
        self.account._credits_grant(10, "Welcome")
        letter = self._letter(pages=3)
        letter._snailmail_print()

        self.assertEqual((letter.state, letter.error_code), ("sent", False))
        self.assertIn("correctly sent by post", letter.info_msg)
        self.assertNotified(letter, "sent")
        post = self._posts(letter)
        self.assertEqual(len(post), 1)
        self.assertEqual((post.state, post.gateway_id, post.pages, post.credits), ("accepted", self.sandbox, 3, 2.0))
        self.assertTrue(post.provider_ref.startswith("sandbox-"))
        self.assertIn(post.provider_ref, letter.info_msg)
        self.assertEqual(post.pdf_filename, letter.attachment_id.name)
        self.assertEqual(post.with_context(bin_size=False).pdf, letter.attachment_id.datas, "the PDF posted is kept")
        self.assertEqual(
            (post.partner_id, post.recipient_name, post.country_id),
            (self.partner, "Alice Post", self.env.ref("base.be")),
        )
        self.assertIn("Avenue Louise 10", post.address)
        self.assertEqual((post.color, post.duplex, post.cover), (True, False, False))
        # 1 credit for the letter, 0.5 for each of the 2 pages beyond the first.
        self.assertCredits(self.account, 8)
        self.assertEqual(self._kinds(), ["grant", "reservation", "capture"])

        # Sent again (a retry, Send Now on a letter a crash left pending): never posted nor charged twice.
        letter.write({"state": "pending"})
        letter._snailmail_print()
        self.assertEqual(letter.state, "sent")
        self.assertEqual(len(self._posts(letter)), 1)
        self.assertCredits(self.account, 8)

    def test_price_is_one_function(self):
        self.assertEqual(self.service._snailmail_letter_price(1), 1.0)
        self.assertEqual(self.service._snailmail_letter_price(4), 2.5)
        self.assertEqual(self.service._snailmail_letter_price(0), 1.0, "a letter is at least one page")
        self.service.snailmail_page_price = 0
        self.assertEqual(self.service._snailmail_letter_price(9), 1.0)

    def test_send_and_print_by_post_queues_then_job_posts(self):
        """Send & Print → by Post creates the stock letter, queued (stock posts in the queue
        job): the job is woken up at once, and posts the letter with local credits."""
        self.account._credits_grant(10, "Welcome")
        invoice = self._invoice()
        cron = self.env.ref("snailmail.snailmail_print")
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        wizard = self.env["account.move.send.wizard"].create({"move_id": invoice.id, "sending_methods": ["snailmail"]})
        wizard.action_send_and_print()
        letter = self.env["snailmail.letter"].search([("model", "=", "account.move"), ("res_id", "=", invoice.id)])
        self.assertEqual(letter.state, "pending", "stock queues the letters of Send & Print")
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers_before + 1)
        self.assertCredits(self.account, 10)

        # The queue job renders the invoice (wkhtmltopdf) and posts it.
        self.env["snailmail.letter"].with_context(force_report_rendering=True)._snailmail_cron(autocommit=False)
        self.assertEqual(letter.state, "sent", letter.info_msg)
        post = self._posts(letter)
        self.assertEqual((post.document_name, post.res_model, post.res_id), (invoice.name, "account.move", invoice.id))
        self.assertTrue(post.with_context(bin_size=False).pdf.startswith(b"JVBER"), "a real PDF (base64 of %PDF)")
        self.assertCredits(self.account, 10 - self.service._snailmail_letter_price(post.pages))
        message = invoice.message_ids.filtered(lambda m: m.message_type == "snailmail")
        self.assertEqual(message.notification_ids.notification_status, "sent")

    # ------------------------------------------------------------
    # Not posted, never charged
    # ------------------------------------------------------------

    def test_incomplete_address(self):
        self.account._credits_grant(10, "Welcome")
        partner = self.partner.copy({"street": False})
        letter = self._letter(partner=partner)
        letter._snailmail_print()
        self.assertEqual((letter.state, letter.error_code), ("error", "MISSING_REQUIRED_FIELDS"))
        self.assertNotified(letter, "exception", "sn_fields")
        self.assertFalse(self._posts(letter))
        self.assertCredits(self.account, 10)
        self.assertEqual(self._kinds(), ["grant"], "nothing was even held")

    def test_no_recipient_name(self):
        self.account._credits_grant(10, "Welcome")
        # An address without a name and without a company (stock allows it for other addresses).
        partner = self.partner.copy({"type": "other", "is_company": False})
        partner.name = False
        letter = self._letter(partner=partner)
        letter._snailmail_print()
        self.assertEqual((letter.state, letter.error_code), ("error", "MISSING_REQUIRED_FIELDS"))
        self.assertNotified(letter, "exception", "sn_fields")
        self.assertCredits(self.account, 10)

    def test_not_a_pdf(self):
        self.account._credits_grant(10, "Welcome")
        letter = self._letter(pdf=b"<html>not a PDF</html>")
        letter._snailmail_print()
        self.assertEqual((letter.state, letter.error_code), ("error", "FORMAT_ERROR"))
        self.assertNotified(letter, "exception", "sn_format")
        self.assertCredits(self.account, 10)
        self.assertEqual(self._kinds(), ["grant"])

    def test_document_cannot_be_generated(self):
        """A report stock refuses (not A4): the stock ATTACHMENT_ERROR, which the job retries."""
        self.account._credits_grant(10, "Welcome")
        self.company.paperformat_id = self.env.ref("base.paperformat_us")
        invoice = self._invoice()
        letter = self.env["snailmail.letter"].create(
            {
                "partner_id": self.partner.id,
                "model": "account.move",
                "res_id": invoice.id,
                "company_id": self.company.id,
                "report_template": self.env.ref("account.account_invoices").id,
            }
        )
        letter._snailmail_print()
        self.assertEqual((letter.state, letter.error_code), ("error", "ATTACHMENT_ERROR"), letter.info_msg)
        self.assertIn("A4", letter.info_msg)
        self.assertNotified(letter, "exception", "sn_error")
        self.assertCredits(self.account, 10)

        # Fixed, the queue job posts it (stock retries ATTACHMENT_ERROR letters).
        self.company.paperformat_id = self.env.ref("base.paperformat_euro")
        self.env["snailmail.letter"].with_context(force_report_rendering=True)._snailmail_cron(autocommit=False)
        self.assertEqual(letter.state, "sent", letter.info_msg)

    def test_not_enough_credits_then_job_retries(self):
        self.account._credits_grant(1, "One stamp")
        letter = self._letter(pages=2)  # 1.5 credits
        letter._snailmail_print()
        self.assertEqual((letter.state, letter.error_code), ("error", "CREDIT_ERROR"))
        self.assertNotified(letter, "exception", "sn_credit")
        self.assertIn("/iap_credits/buy/", letter.info_msg, "the message links to this database's pack page")
        self.assertFalse(self._posts(letter))
        self.assertCredits(self.account, 1)

        # The stock queue job retries CREDIT_ERROR letters: charged once credits are there.
        self.account._credits_grant(5, "More")
        self.env["snailmail.letter"]._snailmail_cron(autocommit=False)
        self.assertEqual(letter.state, "sent")
        self.assertNotified(letter, "sent")
        self.assertCredits(self.account, 4.5)

    def test_no_provider(self):
        self.account._credits_grant(10, "Welcome")
        self.account.snailmail_gateway_id = False
        letter = self._letter()
        letter._snailmail_print()
        self.assertEqual((letter.state, letter.error_code), ("error", "UNKNOWN_ERROR"))
        self.assertIn("No snail mail provider", letter.info_msg)
        self.assertCredits(self.account, 10)

    def test_cancel_from_chatter(self):
        """The stock failure popover's Cancel works on letters of local accounts."""
        letter = self._letter()
        letter._snailmail_print()  # no credits: CREDIT_ERROR
        self.assertEqual(letter.state, "error")
        letter.message_id.cancel_letter()
        self.assertEqual(letter.state, "canceled")
        self.assertEqual(letter.notification_ids.notification_status, "canceled")
        # Stock's letters in error for the user (the failure view's domain) no longer list it.
        self.assertFalse(
            self.env["mail.message"].search([("snailmail_error", "=", True), ("id", "=", letter.message_id.id)])
        )

    def test_letters_in_error_list(self):
        letter = self._letter()
        letter._snailmail_print()
        self.assertEqual(letter.error_code, "CREDIT_ERROR")
        in_error = self.env["mail.message"].search([("snailmail_error", "=", True)])
        self.assertIn(letter.message_id, in_error, "the stock letters-in-error list shows it")
        # Resent from the chatter once credits are there.
        self.account._credits_grant(2, "More")
        letter.message_id.send_letter()
        self.assertEqual(letter.state, "sent")

    # ------------------------------------------------------------
    # A batch: 50 letters, mixed outcomes, an exact ledger
    # ------------------------------------------------------------

    def test_batch_of_fifty(self):
        api = self._start_api("http")
        api.refused_cities = {"Nowhere"}
        self.account.snailmail_gateway_id = self._http_gateway(api.url)
        self.account._credits_grant(100, "Welcome")
        refused = self.partner.copy({"city": "Nowhere"})
        incomplete = self.partner.copy({"zip": False})
        letters = self.env["snailmail.letter"]
        expected = 0.0
        for index in range(50):
            if index % 10 == 3:
                letters |= self._letter(partner=refused, pages=2)
            elif index % 10 == 7:
                letters |= self._letter(partner=incomplete, pages=2)
            else:
                pages = 1 + index % 3
                letters |= self._letter(pages=pages)
                expected += self.service._snailmail_letter_price(pages)
        self.env["snailmail.letter"]._snailmail_cron(autocommit=False)

        sent = letters.filtered(lambda letter: letter.state == "sent")
        self.assertEqual(len(sent), 40)
        self.assertEqual(set((letters - sent).mapped("error_code")), {"MISSING_REQUIRED_FIELDS"})
        self.assertEqual(len(api.posts), 45, "incomplete addresses never reach the provider")
        posts = self._posts(letters)
        self.assertEqual(sorted(set(posts.mapped("state"))), ["accepted", "error"])
        self.assertAlmostEqual(sum(posts.mapped("credits")), expected, places=4)
        self.assertCredits(self.account, 100 - expected)
        kinds = self._kinds()
        self.assertEqual(kinds.count("capture"), 40)
        self.assertEqual(kinds.count("reservation"), 45)
        self.assertEqual(kinds.count("release"), 5, "each refused letter's hold given back")

        # The job runs again: stock retries MISSING_REQUIRED_FIELDS letters, so the 5 the provider
        # refused are offered again (refused again, charged nothing); the posted ones are never
        # posted nor charged twice, and the incomplete ones still never reach the provider.
        self.env["snailmail.letter"]._snailmail_cron(autocommit=False)
        self.assertEqual(len(api.posts), 50)
        self.assertEqual(len(letters.filtered(lambda letter: letter.state == "sent")), 40)
        self.assertCredits(self.account, 100 - expected)


@tagged("post_install", "-at_install")
class TestSnailmailPdf(SnailmailMixin, IapCreditsCase):
    """Real PDFs: wkhtmltopdf, as Odoo calls it, renders an invoice; stock snail mail turns it
    into the letter posted (margins cleared, cover page)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_snailmail(cls)

    def test_wkhtmltopdf_renders_an_invoice(self):
        self.assertEqual(self.env["ir.actions.report"].get_wkhtmltopdf_state(), "ok", "wkhtmltopdf is installed")
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner.id,
                "invoice_date": "2026-01-15",
                "invoice_line_ids": [Command.create({"name": "Desk", "quantity": 2, "price_unit": 150})],
            }
        )
        invoice.action_post()
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("account.account_invoices", invoice.ids)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        pages = self.env["snailmail.letter"]._count_pages_pdf(pdf)
        self.assertGreaterEqual(pages, 1)

        # The letter stock prepares from it: a cover page added.
        self.company.snailmail_cover = True
        letter = self.env["snailmail.letter"].create(
            {
                "partner_id": self.partner.id,
                "model": "account.move",
                "res_id": invoice.id,
                "company_id": self.company.id,
                "report_template": self.env.ref("account.account_invoices").id,
            }
        )
        attachment = letter.with_context(force_report_rendering=True)._fetch_attachment()
        letter_pdf = attachment.raw
        self.assertTrue(letter_pdf.startswith(b"%PDF"))
        self.assertEqual(letter._count_pages_pdf(letter_pdf), pages + 1, "the cover page")

    def test_make_pdf_helper_is_a_real_pdf(self):
        self.assertEqual(self.env["snailmail.letter"]._count_pages_pdf(make_pdf(4)), 4)
