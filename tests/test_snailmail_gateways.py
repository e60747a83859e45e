# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Each snail mail provider against a small HTTP server on 127.0.0.1 speaking its API, and
each way it can fail: nothing charged unless the provider accepted the letter."""

import base64
import json
import time

from odoo.modules.neutralize import neutralize_database
from odoo.tests import tagged

from .common import IapCreditsCase
from .common_snailmail import HTTP_TOKEN, POSTGRID_KEY, SnailmailMixin, make_pdf, setup_snailmail
from .local_server import closed_port_url


class ProviderFailureMixin:
    """Failures shared by both providers; subclasses set ``self.api`` and ``_gateway``."""

    def _assert_failed(self, letter, code="UNKNOWN_ERROR", reason_part=None, retry=True):
        self.assertEqual((letter.state, letter.error_code), ("error", code))
        self.assertEqual(letter.notification_ids.notification_status, "exception")
        self.assertCredits(self.account, 10)
        self.assertEqual(self._kinds(), ["grant", "reservation", "release"], "held, then released: nothing charged")
        post = self._posts(letter)
        self.assertEqual((post.state, post.credits, post.retry), ("error", 0, retry))
        if reason_part:
            self.assertIn(reason_part, post.failure_reason)
            self.assertIn(reason_part, letter.info_msg)
        return post

    def test_server_error(self):
        self.api.mode = "error"
        letter = self._letter()
        letter._snailmail_print()
        post = self._assert_failed(letter, reason_part="HTTP 500")
        self.assertFalse(post.uncertain)

    def test_connection_refused(self):
        self.account.snailmail_gateway_id = self._gateway(closed_port_url())
        letter = self._letter()
        letter._snailmail_print()
        self._assert_failed(letter, reason_part="could not be reached")

    def test_garbage(self):
        self.api.mode = "garbage"
        letter = self._letter()
        letter._snailmail_print()
        post = self._assert_failed(letter, reason_part="unreadable")
        self.assertTrue(post.uncertain, "a 200 nobody can read: the provider may have the letter")

    def test_malformed(self):
        self.api.mode = "malformed"
        letter = self._letter()
        letter._snailmail_print()
        post = self._assert_failed(letter)
        self.assertTrue(post.uncertain)

    def test_timeout_then_retry_posts_once(self):
        """The provider took the letter but its answer never came: the retry sends the same
        idempotency key, the provider answers the letter it created, charged once."""
        # Odoo's test framework raises any timeout below 10 s to 10 s: the server hangs longer.
        self.api.mode = "hang"
        self.api.hang_seconds = 11
        letter = self._letter()
        start = time.monotonic()
        letter._snailmail_print()
        self.assertLess(time.monotonic() - start, 10.9, "the client gave up before the server answered")
        post = self._assert_failed(letter, reason_part="did not answer in time")
        self.assertTrue(post.uncertain)
        deadline = time.monotonic() + 15
        while not self.api.letters and time.monotonic() < deadline:  # the server finishes: it creates the letter
            time.sleep(0.2)
        self.assertEqual(len(self.api.letters), 1)

        self.api.mode = "ok"
        self.env["snailmail.letter"]._snailmail_cron(autocommit=False)  # retries provider failures
        self.assertEqual(letter.state, "sent", letter.info_msg)
        self.assertEqual(len(self.api.letters), 1, "one letter at the provider")
        posts = self._posts(letter)
        self.assertEqual(len(set(posts.mapped("idempotency_key"))), 1, "the same key twice")
        self.assertEqual(posts[0].provider_ref, next(iter(self.api.letters)))
        self.assertCredits(self.account, 9)

    def test_refused_letter_then_new_key(self):
        """After a refusal (an outcome known), the next attempt is a new letter: a new key."""
        self.api.refused_cities = {"Ixelles"}
        letter = self._letter()
        letter._snailmail_print()
        self._assert_failed(letter, code="MISSING_REQUIRED_FIELDS", retry=False)
        self.api.refused_cities = set()
        letter._snailmail_print()
        self.assertEqual(letter.state, "sent")
        posts = self._posts(letter)
        self.assertEqual(len(set(posts.mapped("idempotency_key"))), 2)
        self.assertCredits(self.account, 9)

    def test_retry_job_gives_up_after_a_few(self):
        self.api.mode = "error"
        letter = self._letter()
        letter._snailmail_print()
        for _run in range(7):
            self.env["snailmail.letter"]._snailmail_cron(autocommit=False)
        self.assertEqual(len(self._posts(letter)), 5, "the job retries a provider failure 5 times, then stops")
        self.assertEqual(letter.state, "error")
        self.assertCredits(self.account, 10)


@tagged("post_install", "-at_install")
class TestPostGrid(ProviderFailureMixin, SnailmailMixin, IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_snailmail(cls)

    def setUp(self):
        super().setUp()
        self.api = self._start_api("postgrid")
        self.account.snailmail_gateway_id = self.gateway = self._gateway(self.api.url)
        self.account._credits_grant(10, "Welcome")

    def _gateway(self, url):
        return self._postgrid_gateway(url)

    def test_post(self):
        person = self.env["res.partner"].create(
            {"name": "Bob Buyer", "parent_id": self.partner.id, "type": "invoice", "street": "Rue Haute 5",
             "zip": "1000", "city": "Brussels", "country_id": self.env.ref("base.be").id}
        )  # fmt: skip
        self.company.snailmail_duplex = True
        letter = self._letter(partner=person, pages=2, color=False)
        letter._snailmail_print()
        self.assertEqual(letter.state, "sent", letter.info_msg)

        self.assertEqual(len(self.api.posts), 1)
        request = self.api.posts[0]
        self.assertEqual(request["path"], "/print-mail/v1/letters")
        self.assertEqual(request["headers"]["x-api-key"], POSTGRID_KEY)
        self.assertTrue(request["headers"]["Content-Type"].startswith("multipart/form-data"))
        fields = request["fields"]
        self.assertEqual(
            {key: fields.get(key) for key in ("to[firstName]", "to[companyName]", "to[addressLine1]", "to[city]",
                                              "to[postalOrZip]", "to[countryCode]")},
            {"to[firstName]": "Bob Buyer", "to[companyName]": "Alice Post", "to[addressLine1]": "Rue Haute 5",
             "to[city]": "Brussels", "to[postalOrZip]": "1000", "to[countryCode]": "BE"},
        )  # fmt: skip
        self.assertEqual(fields["from[companyName]"], self.company.name)
        self.assertEqual(fields["from[addressLine1]"], "Rue du Moulin 1")
        self.assertEqual((fields["color"], fields["doubleSided"]), ("false", "true"))
        self.assertEqual(fields["addressPlacement"], "insert_blank_page")
        self.assertEqual(fields["metadata[odoo_letter_id]"], str(letter.id))
        filename, content_type, pdf = request["files"]["pdf"]
        self.assertEqual((filename, content_type), (letter.attachment_id.name, "application/pdf"))
        self.assertEqual(pdf, letter.attachment_id.raw)
        post = self._posts(letter)
        self.assertEqual(request["headers"]["idempotency-key"], post.idempotency_key)

        letter_id = next(iter(self.api.letters))
        self.assertEqual((post.provider_ref, post.provider_status, post.state), (letter_id, "ready", "accepted"))
        self.assertIn(letter_id, letter.info_msg)
        self.assertCredits(self.account, 8.5)

    def test_refused_address(self):
        self.api.refused_cities = {"Ixelles"}
        letter = self._letter()
        letter._snailmail_print()
        post = self._assert_failed(letter, code="MISSING_REQUIRED_FIELDS", reason_part="validation_error", retry=False)
        self.assertIn("HTTP 400", post.failure_reason)
        self.assertEqual(letter.notification_ids.failure_type, "sn_fields")

    def test_refused_pdf(self):
        """A PDF PostGrid cannot read: its invalid_pdf_error, the stock FORMAT_ERROR."""

        def corrupt(request):  # what PostGrid receives is not a PDF it can read
            request["files"]["pdf"] = ("letter.pdf", "application/pdf", b"broken")

        self.api.on_request = corrupt
        letter = self._letter()
        letter._snailmail_print()
        self._assert_failed(letter, code="FORMAT_ERROR", reason_part="invalid_pdf_error", retry=False)
        self.assertEqual(letter.notification_ids.failure_type, "sn_format")

    def test_unauthorized(self):
        self.api.mode = "unauthorized"
        letter = self._letter()
        letter._snailmail_print()
        self._assert_failed(letter, reason_part="refused the API key")
        self.assertNotIn(POSTGRID_KEY, letter.info_msg)

    def test_poll_status_and_cancellation_gives_credits_back(self):
        letter = self._letter()
        letter._snailmail_print()
        post = self._posts(letter)
        self.assertCredits(self.account, 9)
        self.api.letters[post.provider_ref]["status"] = "printing"
        self.env["iap.snailmail.post"]._poll_status()
        self.assertEqual((post.provider_status, post.state, letter.state), ("printing", "accepted", "sent"))
        self.assertEqual(self.api.requests[-1]["path"], f"/print-mail/v1/letters/{post.provider_ref}")

        self.api.letters[post.provider_ref].update(
            {"status": "cancelled", "cancellation": {"reason": "invalid_content", "note": "blank page"}}
        )
        self.env["iap.snailmail.post"]._poll_status()
        self.assertEqual((post.state, post.provider_status), ("cancelled", "cancelled"))
        self.assertEqual((letter.state, letter.error_code), ("error", "FORMAT_ERROR"))
        self.assertEqual(letter.notification_ids.notification_status, "exception")
        self.assertCredits(self.account, 10)
        self.assertEqual(self._kinds(), ["grant", "reservation", "capture", "adjustment"])
        # Told twice (webhook and poll): given back once.
        post._snailmail_apply_status("cancelled", cancellation_reason="invalid_content")
        self.assertCredits(self.account, 10)

        # Letters in a final status are not asked about any more.
        count = len(self.api.requests)
        self.env["iap.snailmail.post"]._poll_status()
        self.assertEqual(len(self.api.requests), count)

    def test_secrets_for_administrators_only(self):
        for name in ("postgrid_api_key", "postgrid_api_url", "postgrid_webhook_secret"):
            self.assertEqual(self.gateway._fields[name].groups, "base.group_system", name)


@tagged("post_install", "-at_install")
class TestHttpProvider(ProviderFailureMixin, SnailmailMixin, IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_snailmail(cls)

    def setUp(self):
        super().setUp()
        self.api = self._start_api("http")
        self.account.snailmail_gateway_id = self.gateway = self._gateway(self.api.url)
        self.account._credits_grant(10, "Welcome")

    def _gateway(self, url):
        return self._http_gateway(url)

    def test_post(self):
        letter = self._letter(pages=3)
        letter._snailmail_print()
        self.assertEqual(letter.state, "sent", letter.info_msg)
        request = self.api.posts[0]
        self.assertEqual(request["path"], "/letters")
        self.assertEqual(request["headers"]["Authorization"], HTTP_TOKEN)
        post = self._posts(letter)
        self.assertEqual(request["headers"]["Idempotency-Key"], post.idempotency_key)
        body = request["json"]
        self.assertEqual(body["letter"]["id"], post.idempotency_key)
        self.assertEqual(body["letter"]["pages"], 3)
        self.assertEqual(body["letter"]["address"]["city"], "Ixelles")
        self.assertEqual(body["letter"]["return_address"]["city"], "Brussels")
        self.assertEqual(json.loads(json.dumps(body["letter"]["color"])), True)
        self.assertTrue(body["status_url"].endswith(f"/iap_credits/snailmail/http/status/{self.gateway.id}"))
        self.assertEqual(base64.b64decode(body["letter"]["pdf"]), letter.attachment_id.raw)
        self.assertEqual((post.state, post.credits), ("accepted", 2.0))
        self.assertCredits(self.account, 8)

    def test_refused_with_stock_code(self):
        self.api.refused_cities = {"Ixelles"}
        letter = self._letter(pdf=make_pdf(1))
        letter._snailmail_print()
        self._assert_failed(letter, code="MISSING_REQUIRED_FIELDS", reason_part="bad city", retry=False)

    def test_no_url(self):
        self.gateway.http_url = False
        letter = self._letter()
        letter._snailmail_print()
        self._assert_failed(letter, reason_part="has no API URL")


@tagged("post_install", "-at_install")
class TestSnailmailNeutralizedCopy(SnailmailMixin, IapCreditsCase):
    """A neutralized copy posts nothing: its letters stay in the Post Outbox."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_snailmail(cls)
        cls.account._credits_grant(10, "Welcome")

    def test_neutralized_copy_posts_nothing(self):
        api = self._start_api("postgrid")
        postgrid = self._postgrid_gateway(api.url)
        http = self._http_gateway(api.url)
        self.account.snailmail_gateway_id = postgrid
        self._letter()._snailmail_print()
        self.assertEqual(len(api.posts), 1, "production posts through PostGrid")

        self.env.flush_all()
        neutralize_database(self.env.cr)
        self.env.invalidate_all()

        for gateway in postgrid | http:
            self.assertEqual(gateway.code, "sandbox")
        self.assertFalse(postgrid.postgrid_api_key or postgrid.postgrid_webhook_secret or postgrid.postgrid_api_url)
        self.assertFalse(http.http_url or http.http_auth_value or http.http_callback_token)
        letter = self._letter()
        letter._snailmail_print()
        self.assertEqual(letter.state, "sent")
        self.assertEqual(len(api.posts), 1, "nothing more left this server")
        self.assertEqual(self._posts(letter).gateway_code, "sandbox")
        self.assertCredits(self.account, 8)
