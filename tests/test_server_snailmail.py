# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode, snail mail: the stock letters of a database (here this one, pointed at its
own route) are posted through `/iap/snailmail/1/print` over real HTTP by the stock client
code, through this database's provider, charged per letter on the client's account."""

import base64
import json

from odoo.sql_db import db_connect
from odoo.tests import tagged

from ..controllers.server.snailmail import MAX_BODY_BYTES
from ..models.iap_snailmail_post_server import MAX_PAGES
from .common_server import ServerCase
from .common_server_services import ACCESS_ERROR, ServerServicesMixin
from .common_snailmail import SnailmailMixin, make_pdf, setup_snailmail

ROUTE = "/iap/snailmail/1/print"


@tagged("post_install", "-at_install")
class TestServerSnailmail(ServerServicesMixin, SnailmailMixin, ServerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_snailmail(cls)  # prices: 1 credit a letter, 0.5 an extra page
        cls.account.credit_mode = "odoo"  # this database's own letters go to "Odoo IAP": this server
        gateway = {"snailmail_gateway_id": cls.sandbox.id}
        cls.client = cls._client_account(cls.service, "Client One", **gateway)
        cls.other = cls._client_account(cls.service, "Client Two", **gateway)
        cls.own = cls._own_stock_account(cls.service, cls.client.account_token)
        cls.env["ir.config_parameter"].set_param("snailmail.endpoint", cls.base_url())

    def _print(self, letter):
        """As the stock queue job posts a letter (without its commit after each letter)."""
        with self.stock_client():
            letter._snailmail_print_valid_address()
        return letter

    def _client_posts(self, account=None):
        return self.env["iap.snailmail.post"].search([("account_id", "=", (account or self.client).id)])

    def _params(self, letter, token=None, **document):
        """The parameters the stock client sends for ``letter``, its document changed by ``document``."""
        params = letter._snailmail_create("print")
        params["documents"][0].update(document)
        if token:
            params["account_token"] = token
        return params

    def test_letter_posted_and_charged_on_the_client(self):
        self.client._credits_grant(5, "Welcome")
        self.other._credits_grant(5, "Welcome")
        letter = self._print(self._letter(pages=3))
        self.assertEqual(letter.state, "sent", letter.info_msg)
        self.assertFalse(letter.error_code)
        post = self._client_posts()
        self.assertEqual(len(post), 1)
        self.assertRecordValues(
            post, [{"state": "accepted", "pages": 3, "credits": 2.0, "client_letter_id": letter.id, "letter_id": False}]
        )
        self.assertIn(post.provider_ref, letter.info_msg)
        self.assertEqual(base64.b64decode(post.pdf), base64.b64decode(letter.attachment_id.datas))
        self.assertCredits(self.client, 3)
        self.assertCredits(self.other, 5)
        self.assertLedgerConsistent(self.client)
        # The client lost the answer and posts the letter again: sent, never posted nor charged twice.
        answer = self.rpc(ROUTE, self._params(letter))
        self.assertEqual(answer["result"]["request"]["documents"][0]["send_id"], post.provider_ref)
        self.assertEqual(len(self._client_posts()), 1)
        self.assertCredits(self.client, 3)

    def test_empty_account_credit_error_nothing_charged(self):
        letter = self._print(self._letter())
        self.assertEqual(letter.state, "error")
        self.assertEqual(letter.error_code, "CREDIT_ERROR")
        self.assertFalse(self._client_posts())
        self.assertCredits(self.client, 0)
        answer = self.rpc(ROUTE, self._params(letter))["result"]
        self.assertTrue(answer["credit_error"])
        self.assertEqual(answer["request"]["documents"][0]["error"], "CREDIT_ERROR")

    def test_bad_documents_stock_codes_nothing_charged(self):
        self.client._credits_grant(10, "Welcome")
        letter = self._letter()
        cases = {
            "FORMAT_ERROR": [
                {"pdf_bin": "%%% not base64 %%%"},
                {"pdf_bin": base64.b64encode(b"<html>not a pdf</html>").decode()},
                {"pdf_bin": base64.b64encode(b"%PDF-1.4 broken").decode()},
                {"pdf_bin": base64.b64encode(make_pdf(MAX_PAGES + 1)).decode()},
                {"pdf_bin": None},
                {"pdf_bin": 12},
            ],
            "MISSING_REQUIRED_FIELDS": [
                {"address": None},
                {"address": "Avenue Louise 10"},
                {"address": {"name": "Alice", "street": "Avenue Louise 10", "zip": "1050", "country_code": "BE"}},
            ],
            "NO_PRICE_AVAILABLE": [
                {"address": {"name": "A", "street": "S", "zip": "1", "city": "C", "country_code": "ZZ"}},
            ],
        }
        for code, documents in cases.items():
            for document in documents:
                answer = self.rpc(ROUTE, self._params(letter, **document))["result"]
                result = answer["request"]["documents"][0]
                self.assertEqual((result["letter_id"], result["sent"], result["error"]), (letter.id, False, code))
                self.assertFalse(answer["credit_error"])
        self.assertFalse(self._client_posts())
        self.assertCredits(self.client, 10)

    def test_batch_answered_per_document(self):
        self.client._credits_grant(1.5, "Welcome")
        first, second, third = self._letter(), self._letter(pages=2), self._letter()
        params = self._params(first)
        params["documents"] += self._params(second)["documents"] + self._params(third)["documents"]
        params["documents"][2]["address"] = {}
        answer = self.rpc(ROUTE, params)["result"]
        self.assertEqual(
            [(doc["letter_id"], doc["sent"], doc["error"]) for doc in answer["request"]["documents"]],
            [(first.id, True, False), (second.id, False, "CREDIT_ERROR"), (third.id, False, "MISSING_REQUIRED_FIELDS")],
        )
        self.assertEqual(answer["total_cost"], 1.0)
        self.assertCredits(self.client, 0.5)

    def test_bad_calls_refused_nothing_charged(self):
        self.client._credits_grant(10, "Welcome")
        letter = self._letter()
        good = self._params(letter)
        document = good["documents"][0]
        for documents in (
            None,
            "x",
            {},
            [],
            [None],
            ["x"],
            [{**document, "letter_id": "1"}],
            [{**document, "letter_id": 2**40}],
            [document, document],
        ):
            self.assertRefused(self.rpc(ROUTE, {**good, "documents": documents}))
        self.assertRefused(self.rpc(ROUTE, {**good, "documents": [document] * 51}))
        self.assertRefused(self.rpc(ROUTE, {**good, "options": "color"}))
        self.assertRefused(self.rpc(ROUTE, {**good, "unexpected": True}))
        self.assertRefused(self.rpc(ROUTE, {**good, "account_token": "nope"}), ACCESS_ERROR)
        self.assertRefused(self.rpc(ROUTE, {}, raw=b"[1, 2"))
        huge = json.dumps({"jsonrpc": "2.0", "params": {**good, "pad": "x" * MAX_BODY_BYTES}}).encode()
        self.assertRefused(self.rpc(ROUTE, {}, raw=huge))
        self.assertFalse(self._client_posts())
        self.assertCredits(self.client, 10)

    def test_client_never_uses_another_account(self):
        self.client._credits_grant(5, "Welcome")
        letter = self._letter()
        answer = self.rpc(ROUTE, self._params(letter, token=self.other.account_token))["result"]
        self.assertEqual(answer["request"]["documents"][0]["error"], "CREDIT_ERROR")
        self.assertCredits(self.client, 5)
        self.other._credits_grant(2, "Welcome")
        answer = self.rpc(ROUTE, self._params(letter, token=self.other.account_token))["result"]
        self.assertTrue(answer["request"]["documents"][0]["sent"])
        self.assertCredits(self.other, 1)
        self.assertCredits(self.client, 5)
        self.assertFalse(self._client_posts())
        # A partner autocomplete token is not a snail mail account.
        autocomplete = self.env.ref("partner_autocomplete.iap_service_partner_autocomplete")
        token = self._client_account(autocomplete, "Searcher").account_token
        self.assertRefused(self.rpc(ROUTE, self._params(letter, token=token)), ACCESS_ERROR)

    def test_letter_posted_by_one_call_at_a_time(self):
        self.client._credits_grant(5, "Welcome")
        letter = self._letter()
        key = f"iap_credits.server_snailmail:{self.client.id}:{letter.id}"
        with db_connect(self.env.cr.dbname).cursor() as other_call:
            other_call.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
            answer = self.rpc(ROUTE, self._params(letter))["result"]
            other_call.rollback()
        self.assertEqual(answer["request"]["documents"][0]["error"], "UNKNOWN_ERROR")
        self.assertFalse(self._client_posts())
        self.assertCredits(self.client, 5)
        answer = self.rpc(ROUTE, self._params(letter))["result"]
        self.assertTrue(answer["request"]["documents"][0]["sent"])
