# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The SMS path under real workers: database errors reach Odoo's retry, and what a gateway
accepted is never sent nor charged again.

The account, the gateway and the stock SMS are committed through cursors of their own
(what other connections commit is invisible to the test transaction) and deleted with
SQL at the end; each worker is a real connection with its own transaction.
"""

import contextlib
import json
import threading
import time

import psycopg2

from odoo.service.model import retrying

from .common import CommittedAccountCase
from .common_sms import HTTP_TOKEN, FakeSmsApi

NUMBERS = ["+32470000101", "+32470000102", "+32470000103"]


class TestSmsQueueFaults(CommittedAccountCase):
    COMMITTED_CREDITS = 500
    COMMITTED_ACCOUNT_NAME = "SMS fault test account"

    def setUp(self):
        super().setUp()
        self.api = FakeSmsApi("http").start()
        self.addCleanup(self.api.stop)
        with self.registry.cursor() as cr:
            env = self._worker_env(cr)
            gateway = env["iap.sms.gateway"].create(
                {
                    "name": "Fault test HTTP",
                    "code": "http",
                    "http_url": f"{self.api.url}/send",
                    "http_auth_header": "Authorization",
                    "http_auth_value": HTTP_TOKEN,
                    "timeout": 30,
                }
            )
            env["iap.account"].browse(self.account_id).sms_gateway_id = gateway
            sms = env["sms.sms"].create([{"number": number, "body": "Fault test"} for number in NUMBERS])
            self.gateway_id, self.sms_ids = gateway.id, sms.ids
        self.addCleanup(self._drop_sms)

    def _drop_sms(self):
        with self.registry.cursor() as cr:
            # The batches' SMS go with them (ON DELETE CASCADE).
            cr.execute("DELETE FROM iap_sms_batch WHERE account_id = %s", [self.account_id])
            cr.execute("DELETE FROM sms_sms WHERE id = ANY(%s)", [self.sms_ids])
            cr.execute("UPDATE iap_account SET sms_gateway_id = NULL WHERE id = %s", [self.account_id])
            cr.execute("DELETE FROM iap_sms_gateway WHERE id = %s", [self.gateway_id])

    def _send(self, env):
        """The SMS path of one batch, as the queue runs it for the account's company."""
        account = env["iap.account"].browse(self.account_id)
        sms = env["sms.sms"].browse(self.sms_ids)
        messages = [{"content": "Fault test", "numbers": [{"uuid": s.uuid, "number": s.number} for s in sms]}]
        results = env["iap.sms.message"]._send_batch(account, env.company, messages)
        sms.write({"state": "pending"})  # what stock `_send_with_api` does with the results
        return results

    def _committed(self):
        with self.registry.cursor() as cr:
            cr.execute(
                """
                SELECT a.credit_balance, a.credit_reserved,
                       (SELECT COUNT(*) FROM iap_credit_transaction t WHERE t.account_id = a.id AND t.kind = 'capture'),
                       (SELECT COALESCE(SUM(m.credits), 0) FROM iap_sms_message m
                          JOIN iap_sms_batch b ON b.id = m.batch_id WHERE b.account_id = a.id),
                       (SELECT COUNT(*) FROM iap_sms_message m
                          JOIN iap_sms_batch b ON b.id = m.batch_id WHERE b.account_id = a.id)
                  FROM iap_account a WHERE a.id = %s
                """,
                [self.account_id],
            )
            return cr.fetchone()

    def test_serialization_failure_is_retried_and_nothing_resent(self):
        """While the gateway answers, another worker commits a change of the batch's SMS:
        the worker's write of those SMS fails with a serialization error, which propagates
        to Odoo's `retrying` (not turned into failed SMS); the retry finds the SMS in the
        outbox, committed with their capture, and neither sends nor charges them again."""

        def concurrent_update(_body):
            self.api.on_request = None
            with self.registry.cursor() as cr:
                cr.execute("UPDATE sms_sms SET body = body WHERE id = ANY(%s)", [self.sms_ids])

        self.api.on_request = concurrent_update
        calls = []
        cr = self.registry.cursor()
        try:
            env = self._worker_env(cr)

            def send():
                calls.append(1)
                env["sms.sms"].browse(self.sms_ids).mapped("state")  # takes the snapshot
                return self._send(env)

            results = retrying(send, env)
            cr.commit()  # pylint: disable=invalid-commit
        finally:
            cr.close()
        self.assertEqual(len(calls), 2, "the serialization failure was retried by Odoo")
        self.assertEqual(len(self.api.requests), 1, "the gateway was called once")
        self.assertEqual({result["state"] for result in results}, {"success"})
        balance, reserved, captures, charged, outbox = self._committed()
        self.assertEqual((captures, outbox), (1, len(NUMBERS)), "one capture, one outbox row per SMS")
        self.assertGreater(charged, 0)
        self.assertAlmostEqual(balance, self.COMMITTED_CREDITS - charged, places=4, msg="charged what was sent")
        self.assertEqual(reserved, 0)

    def test_run_killed_after_the_gateway_answered(self):
        """The worker's connection is terminated after the gateway answered (its SMS
        accepted and captured), before its transaction commits: a new run sends nothing
        twice and the account is charged exactly what was sent."""

        def kill_worker(_body):
            self.api.on_request = None
            with self.registry.cursor() as cr:
                cr.execute("SELECT pg_terminate_backend(%s)", [worker_pid])

        cr = self.registry.cursor()
        try:
            cr.execute("SELECT pg_backend_pid()")
            worker_pid = cr.fetchone()[0]
            self.api.on_request = kill_worker
            env = self._worker_env(cr)
            with self.assertRaises(psycopg2.OperationalError):  # its connection is gone
                self._send(env)
                cr.commit()  # pylint: disable=invalid-commit
        finally:
            with contextlib.suppress(psycopg2.Error):  # the connection is dead
                cr.close()
        with self.registry.cursor() as cr:
            cr.execute("SELECT COUNT(*) FROM sms_sms WHERE id = ANY(%s) AND state = 'outgoing'", [self.sms_ids])
            self.assertEqual(cr.fetchone()[0], len(NUMBERS), "the worker's own transaction was lost")
        first = self._committed()

        with self.registry.cursor() as cr:
            results = self._send(self._worker_env(cr))
        self.assertEqual({result["state"] for result in results}, {"success"})
        self.assertEqual(len(self.api.requests), 1, "nothing was sent twice")
        self.assertEqual(self._committed(), first, "nothing was charged twice")
        balance, _reserved, captures, charged, _outbox = first
        self.assertEqual(captures, 1)
        self.assertAlmostEqual(balance, self.COMMITTED_CREDITS - charged, places=4)

    def test_gateway_latency_isolation(self):
        """While the queue's batch of 200 SMS waits for a gateway answering in 50 ms a
        message (10 s), another worker sends one SMS on the same account: it is accepted
        and charged without waiting for the queue (which held the account row locked until
        its commit, before). The timing figure is `make bench`'s; this checks correctness."""
        self.api.on_request = lambda body: time.sleep(0.05 * len(json.loads(body)["messages"]))
        queue_results = []

        def queue():
            with self.registry.cursor() as cr:
                env = self._worker_env(cr)
                account = env["iap.account"].browse(self.account_id)
                numbers = [{"uuid": f"queue-{i}", "number": f"+32471{i:06d}"} for i in range(200)]
                queue_results.extend(
                    env["iap.sms.message"]._send_batch(account, env.company, [{"content": "Queue", "numbers": numbers}])
                )

        thread = threading.Thread(target=queue)
        thread.start()
        try:
            time.sleep(0.5)
            with self.registry.cursor() as cr:
                env = self._worker_env(cr)
                account = env["iap.account"].browse(self.account_id)
                single = env["iap.sms.message"]._send_batch(
                    account,
                    env.company,
                    [{"content": "Single", "numbers": [{"uuid": "single", "number": "+32472000001"}]}],
                )
            self.assertTrue(thread.is_alive(), "the single SMS did not wait for the queue's batch")
        finally:
            thread.join(timeout=60)
        self.assertEqual([result["state"] for result in single], ["success"])
        self.assertEqual({result["state"] for result in queue_results}, {"success"})
        self.assertEqual(len(queue_results), 200)
        balance, reserved, captures, charged, outbox = self._committed()
        self.assertEqual((captures, outbox, reserved), (2, 201, 0))
        self.assertAlmostEqual(balance, self.COMMITTED_CREDITS - charged, places=4, msg="charged what was sent")
