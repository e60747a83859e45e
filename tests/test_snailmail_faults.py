# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Crash points of posting a letter, with real workers: each has its own database
connection and transaction, as an Odoo worker has, and commits as the stock letter flow
does. The data is committed through such cursors and deleted with SQL at the end (ledger
rows cannot be deleted through the ORM); the commits below are the workers', never the
test cursor's."""

import base64
import threading

from odoo import Command
from odoo.tests.common import TransactionCase

from .common import CommittedAccountCase
from .common_snailmail import FakePrintApi, make_pdf

CREDITS = 10


class TestSnailmailFaults(TransactionCase):
    _worker_env = staticmethod(CommittedAccountCase._worker_env)

    def setUp(self):
        super().setUp()
        self.api = FakePrintApi("http").start()
        self.addCleanup(self.api.stop)
        with self.registry.cursor() as cr:
            env = self._worker_env(cr)
            belgium = env.ref("base.be")
            gateway = env["iap.snailmail.gateway"].create(
                {"name": "Faults print API", "code": "http", "http_url": f"{self.api.url}/letters", "timeout": 5}
            )
            company = env.ref("base.main_company")
            account = env["iap.account"].create(
                {
                    "name": "Faults snail mail account",
                    "service_id": env.ref("snailmail.iap_service_snailmail").id,
                    "company_ids": [Command.set(company.ids)],
                    "credit_mode": "local",
                    "snailmail_gateway_id": gateway.id,
                }
            )
            account._credits_grant(CREDITS, "Faults credits")
            partner = env["res.partner"].create(
                {"name": "Faults Recipient", "street": "Rue 1", "zip": "1000", "city": "Brussels",
                 "country_id": belgium.id}
            )  # fmt: skip
            letter = env["snailmail.letter"].create(
                {"partner_id": partner.id, "model": "res.partner", "res_id": partner.id, "company_id": company.id}
            )
            letter.attachment_id = env["ir.attachment"].create(
                {"name": "faults.pdf", "datas": base64.b64encode(make_pdf(1)), "res_model": "snailmail.letter",
                 "res_id": letter.id, "type": "binary"}
            )  # fmt: skip
            # The database's own prices (the demo's rate for Belgium, its colour surcharge, if any).
            self.price = account.service_id._snailmail_letter_price(1, color=letter.color, country=belgium)
            self.ids = {"gateway": gateway.id, "account": account.id, "partner": partner.id, "letter": letter.id}
        self.addCleanup(self._drop)

    def _drop(self):
        ids = self.ids
        with self.registry.cursor() as cr:
            cr.execute("SELECT id FROM iap_snailmail_post WHERE letter_id = %s", [ids["letter"]])
            post_ids = [row[0] for row in cr.fetchall()] or [0]
            cr.execute("DELETE FROM iap_snailmail_post WHERE id = ANY(%s)", [post_ids])
            # The letter's attachment last: deleting it deletes the letter (ondelete cascade).
            cr.execute(
                "DELETE FROM ir_attachment WHERE (res_model = 'snailmail.letter' AND res_id = %s)"
                " OR (res_model = 'iap.snailmail.post' AND res_id = ANY(%s))",
                [ids["letter"], post_ids],
            )
            cr.execute("DELETE FROM iap_credit_transaction WHERE account_id = %s", [ids["account"]])
            cr.execute("DELETE FROM snailmail_letter WHERE id = %s", [ids["letter"]])
            cr.execute("DELETE FROM mail_message WHERE model = 'res.partner' AND res_id = %s", [ids["partner"]])
            cr.execute("DELETE FROM mail_message WHERE model = 'iap.account' AND res_id = %s", [ids["account"]])
            cr.execute("DELETE FROM mail_followers WHERE res_model = 'iap.account' AND res_id = %s", [ids["account"]])
            cr.execute("DELETE FROM mail_followers WHERE res_model = 'res.partner' AND res_id = %s", [ids["partner"]])
            cr.execute("DELETE FROM iap_account WHERE id = %s", [ids["account"]])
            cr.execute("DELETE FROM iap_snailmail_gateway WHERE id = %s", [ids["gateway"]])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [ids["partner"]])

    def _worker(self):
        cr = self.registry.cursor()
        env = self._worker_env(cr)
        return cr, env["snailmail.letter"].browse(self.ids["letter"])

    def _committed(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT credit_balance, credit_reserved FROM iap_account WHERE id = %s", [self.ids["account"]])
            balance, reserved = cr.fetchone()
            cr.execute(
                "SELECT kind FROM iap_credit_transaction WHERE account_id = %s ORDER BY id", [self.ids["account"]]
            )
            kinds = [row[0] for row in cr.fetchall()]
            cr.execute("SELECT state FROM snailmail_letter WHERE id = %s", [self.ids["letter"]])
            state = cr.fetchone()[0]
            cr.execute("SELECT state FROM iap_snailmail_post WHERE letter_id = %s ORDER BY id", [self.ids["letter"]])
            posts = [row[0] for row in cr.fetchall()]
        return {"balance": float(balance), "reserved": float(reserved), "kinds": kinds, "letter": state, "posts": posts}

    def test_hold_committed_before_the_provider_is_called(self):
        seen = []

        def look(_request):  # in the provider's thread, while the worker waits for its answer
            with self.registry.cursor() as cr:
                cr.execute(
                    "SELECT credit_balance, credit_reserved FROM iap_account WHERE id = %s", [self.ids["account"]]
                )
                seen.append(tuple(float(value) for value in cr.fetchone()))

        self.api.on_request = look
        cr, letter = self._worker()
        try:
            letter._snailmail_print()  # commits after the letter, as stock does
        finally:
            cr.close()
        self.assertEqual(seen, [(CREDITS, self.price)], "the hold was committed before the provider was called")
        committed = self._committed()
        self.assertEqual(
            committed,
            {"balance": CREDITS - self.price, "reserved": 0, "kinds": ["grant", "reservation", "capture"],
             "letter": "sent", "posts": ["accepted"]},
        )  # fmt: skip

    def test_provider_failure_is_never_charged(self):
        self.api.mode = "error"
        cr, letter = self._worker()
        try:
            letter._snailmail_print()
        finally:
            cr.close()
        committed = self._committed()
        self.assertEqual((committed["balance"], committed["reserved"]), (CREDITS, 0))
        self.assertEqual(committed["kinds"], ["grant", "reservation", "release"])
        self.assertEqual((committed["letter"], committed["posts"]), ("error", ["error"]))

    def test_crash_after_capture_never_posts_twice(self):
        """The provider accepted the letter and the capture committed with its outbox row;
        the worker dies before its own commit (the letter's state is lost). The next run
        finds the outbox row: the letter is reported sent, never posted nor charged again."""
        cr, letter = self._worker()
        try:
            account = letter.env["iap.account"].browse(self.ids["account"])
            letter.env["iap.snailmail.post"]._post_letters(account, letter)
            self.assertEqual(letter.state, "sent")
            cr.rollback()  # the worker dies: nothing of its own transaction is committed
        finally:
            cr.close()
        committed = self._committed()
        self.assertEqual((committed["letter"], committed["posts"]), ("pending", ["accepted"]))
        self.assertEqual(committed["balance"], CREDITS - self.price, "the capture committed with the outbox row")
        self.assertEqual(len(self.api.posts), 1)

        cr, letter = self._worker()  # the queue job, later
        try:
            letter.env["snailmail.letter"]._snailmail_cron()
        finally:
            cr.close()
        committed = self._committed()
        self.assertEqual(len(self.api.posts), 1, "never posted twice")
        self.assertEqual(committed["kinds"], ["grant", "reservation", "capture"], "never charged twice")
        self.assertEqual((committed["letter"], committed["posts"]), ("sent", ["accepted"]))

    def test_letter_being_posted_by_another_worker_is_skipped(self):
        blocker = self.registry.cursor()
        try:
            blocker.execute("SELECT 1 FROM snailmail_letter WHERE id = %s FOR NO KEY UPDATE", [self.ids["letter"]])
            done = []

            def other():
                cr, letter = self._worker()
                try:
                    letter._snailmail_print()
                    done.append(letter.state)
                finally:
                    cr.close()

            thread = threading.Thread(target=other)
            thread.start()
            thread.join(timeout=30)
            self.assertEqual(done, ["pending"], "skipped at once, not waiting for the lock")
            self.assertEqual(self.api.posts, [])
        finally:
            blocker.rollback()
            blocker.close()
        self.assertEqual(self._committed()["kinds"], ["grant"])
