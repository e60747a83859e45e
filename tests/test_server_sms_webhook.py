# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: the delivery reports of client SMS, pushed to the client's ``webhook_url``
(its stock `/sms/status`) by a job, with retries and backoff; real HTTP both ways."""

import json
from datetime import timedelta
from uuid import uuid4

from odoo import fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.sms.controllers.main import SmsController

from .common import CommittedAccountCase
from .common_server_sms import ServerSmsCase, WebhookServer
from .local_server import closed_port_url

NUMBERS = ["+32470123456", "+32470123457", "+32470123458"]


@tagged("post_install", "-at_install")
class TestServerSmsWebhook(ServerSmsCase):
    def setUp(self):
        super().setUp()
        self.Report = self.env["iap.sms.server.report"].sudo()
        self.hook = self.start(WebhookServer())
        self.url = f"{self.hook.url}/sms/status"

    def _reports(self, uuids):
        return self.Report.search([("uuid", "in", uuids)])

    def _push(self):
        self.Report._cron_push_reports()

    def _make_due(self, reports):
        reports.write({"next_attempt_date": fields.Datetime.now() - timedelta(seconds=1)})

    def test_reports_pushed_in_stock_shape(self):
        account = self.make_sms_account(self.customer_a, credits=10)
        answer, uuids = self.send(account, NUMBERS, webhook_url=self.url)
        self.assertEqual({result["state"] for result in self.assertResult(answer)}, {"success"})
        self.assertFalse(self.hook.calls, "the send path never calls the client")
        reports = self._reports(uuids)
        self.assertEqual(set(reports.mapped("state")), {"pending"})
        self.assertEqual(set(reports.mapped("sms_status")), {"delivered"})
        self._push()
        [call] = self.hook.calls
        self.assertEqual(call["path"], "/sms/status")
        self.assertEqual(call["body"]["jsonrpc"], "2.0")
        statuses = call["body"]["params"]["message_statuses"]
        self.assertEqual(len(statuses), 1)
        self.assertEqual(statuses[0]["sms_status"], "delivered")
        self.assertEqual(sorted(statuses[0]["uuids"]), sorted(uuids))
        for status in statuses:  # what the stock route checks first (raises when ill-formatted)
            SmsController._check_status_values(status["uuids"], status["sms_status"], statuses)
        self.assertEqual(set(reports.mapped("state")), {"done"})
        self._push()
        self.assertEqual(len(self.hook.calls), 1, "a pushed report is not pushed again")

    def test_one_push_per_webhook_url(self):
        account = self.make_sms_account(self.customer_a, credits=10)
        __, first = self.send(account, NUMBERS[:2], webhook_url=self.url)
        __, second = self.send(account, NUMBERS[2:], content="Another text", webhook_url=self.url)
        self._push()
        self.assertEqual(len(self.hook.calls), 1)
        self.assertEqual(set(self.hook.reported()), set(first + second))

    def test_failing_client_tried_once_per_run(self):
        account = self.make_sms_account(self.customer_a, credits=1000)
        __, uuids = self.send(account, [f"+3247000{index:04d}" for index in range(600)], webhook_url=self.url)
        reports = self._reports(uuids)
        self.assertEqual(len(reports), 600)
        self.hook.status = 500
        self._push()
        self.assertEqual(len(self.hook.calls), 1, "the rest is not sent to a client that just failed")
        self.assertEqual(set(reports.mapped("attempt_count")), {1})
        self.hook.status = 200
        self._make_due(reports)
        self._push()
        self.assertEqual([len(call["body"]["params"]["message_statuses"][0]["uuids"]) for call in self.hook.calls[1:]],
                         [500, 100])  # fmt: skip
        self.assertEqual(set(reports.mapped("state")), {"done"})
        self.assertEqual(set(reports.mapped("attempt_count")), {2})

    def test_retry_with_backoff_then_give_up(self):
        self.env["ir.config_parameter"].sudo().set_param("iap_credits.sms_server_report_attempts", "3")
        account = self.make_sms_account(self.customer_a, credits=10)
        __, uuids = self.send(account, NUMBERS[:1], webhook_url=self.url)
        report = self._reports(uuids)
        self.hook.status = 500
        delays = []
        for attempt in (1, 2):
            before = fields.Datetime.now()
            self._push()
            self.assertEqual(len(self.hook.calls), attempt)
            self.assertEqual((report.state, report.attempt_count), ("pending", attempt))
            self.assertIn("HTTP 500", report.last_error)
            delays.append((report.next_attempt_date - before).total_seconds())
            self._push()  # not due yet: not pushed
            self.assertEqual(len(self.hook.calls), attempt)
            self._make_due(report)
        self.assertGreater(delays[0], 30)
        self.assertGreater(delays[1], delays[0] * 1.5, "the backoff grows")
        self._push()
        self.assertEqual((report.state, report.attempt_count), ("failed", 3))
        self._make_due(report)
        self._push()
        self.assertEqual(len(self.hook.calls), 3, "given up: never pushed again")

    def test_retry_until_the_client_accepts(self):
        account = self.make_sms_account(self.customer_a, credits=10)
        __, uuids = self.send(account, NUMBERS[:2], webhook_url=self.url)
        reports = self._reports(uuids)
        self.hook.error_answer = {"code": 200, "message": "Odoo Server Error", "data": {"name": "UserError"}}
        self._push()
        self.assertEqual(set(reports.mapped("state")), {"pending"}, "a JSON-RPC error is a failed push")
        self._make_due(reports)
        self.hook.error_answer = None
        self._push()
        self.assertEqual(set(reports.mapped("state")), {"done"})
        self.assertEqual(set(reports.mapped("attempt_count")), {2})
        self.assertEqual(len(self.hook.calls), 2)

    def test_unreachable_client_retried(self):
        account = self.make_sms_account(self.customer_a, credits=10)
        __, uuids = self.send(account, NUMBERS[:1], webhook_url=f"{closed_port_url()}/sms/status")
        report = self._reports(uuids)
        self._push()
        self.assertEqual((report.state, report.attempt_count), ("pending", 1))
        self.assertGreater(report.next_attempt_date, fields.Datetime.now())

    def test_clients_only_get_their_own_reports(self):
        other = self.start(WebhookServer())
        account_a = self.make_sms_account(self.customer_a, credits=10)
        account_b = self.make_sms_account(self.customer_b, credits=10)
        __, uuids_a = self.send(account_a, NUMBERS[:2], webhook_url=self.url)
        __, uuids_b = self.send(account_b, NUMBERS[2:], webhook_url=f"{other.url}/sms/status")
        self._push()
        self.assertEqual(set(self.hook.reported()), set(uuids_a))
        self.assertEqual(set(other.reported()), set(uuids_b))

    def test_no_webhook_no_report_and_refused_sms_not_reported(self):
        account = self.make_sms_account(self.customer_a, credits=10)
        __, uuids = self.send(account, NUMBERS[:1])
        empty = self.make_sms_account(self.customer_b)
        __, refused = self.send(empty, NUMBERS[:1], webhook_url=self.url)
        self.assertFalse(self._reports(uuids + refused))

    def test_gateway_report_forwarded(self):
        """A gateway that reports later (the generic HTTP API): its report is forwarded."""
        api = self.start_sms_api()
        gateway = self.env["iap.sms.gateway"].create(
            {
                "name": "Test HTTP",
                "code": "http",
                "http_url": f"{api.url}/send",
                "http_callback_token": "callback-secret",
                "timeout": 1,
            }
        )
        account = self.make_sms_account(self.customer_a, credits=10, gateway=gateway)
        answer, uuids = self.send(account, NUMBERS[:2], webhook_url=self.url)
        self.assertEqual({result["state"] for result in self.assertResult(answer)}, {"success"})
        self.assertFalse(self._reports(uuids), "accepted is not delivered")

        def report(results):
            response = self.url_open(
                f"/iap_credits/sms/http/status/{gateway.id}",
                data=json.dumps({"results": results}),
                headers={"Content-Type": "application/json", "X-IAP-Credits-Token": "callback-secret"},
            )
            self.assertEqual(response.status_code, 200, response.text)

        report([{"id": uuids[0], "status": "queued"}])
        self.assertFalse(self._reports(uuids), "still on its way: nothing new for the client")
        report([{"id": uuids[0], "status": "delivered"}, {"id": uuids[1], "status": "expired"}])
        self._push()
        self.assertEqual(self.hook.reported(), {uuids[0]: "delivered", uuids[1]: "expired"})


@tagged("post_install", "-at_install")
class TestServerSmsWorker(TransactionCase):
    """The path of a real worker: the charge and the outbox rows are committed by the
    ledger's own transaction, after the request's snapshot, yet the SMS are linked to the
    webhook and reported. Data is committed through cursors of their own, and deleted."""

    def setUp(self):
        super().setUp()
        self.hook = WebhookServer().start()
        self.addCleanup(self.hook.stop)
        with self.registry.cursor() as cr:
            env = CommittedAccountCase._worker_env(cr)
            gateway = env["iap.sms.gateway"].create({"name": "Committed sandbox", "code": "sandbox"})
            partner = env["res.partner"].create({"name": "Committed customer", "country_id": env.ref("base.be").id})
            account = env["iap.account"].create(
                {
                    "name": "Committed client SMS",
                    "service_id": env.ref("sms.iap_service_sms").id,
                    "credit_mode": "local",
                    "client_partner_id": partner.id,
                    "account_token": uuid4().hex,
                    "sms_gateway_id": gateway.id,
                }
            )
            account._credits_grant(100, "Committed test credits")
            self.ids = {"gateway": gateway.id, "partner": partner.id, "account": account.id}
        self.addCleanup(self._drop)

    def _drop(self):
        with self.registry.cursor() as cr:
            account = self.ids["account"]
            cr.execute("DELETE FROM iap_sms_server_report WHERE account_id = %s", [account])
            cr.execute("DELETE FROM iap_sms_batch WHERE account_id = %s", [account])  # cascades to the outbox
            cr.execute("DELETE FROM iap_credit_transaction WHERE account_id = %s", [account])
            cr.execute("DELETE FROM mail_followers WHERE res_model = 'iap.account' AND res_id = %s", [account])
            cr.execute("DELETE FROM mail_message WHERE model = 'iap.account' AND res_id = %s", [account])
            cr.execute("DELETE FROM iap_account WHERE id = %s", [account])
            cr.execute("DELETE FROM iap_sms_gateway WHERE id = %s", [self.ids["gateway"]])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [self.ids["partner"]])

    def test_worker_send_reported(self):
        uuids = [uuid4().hex for _number in NUMBERS]
        numbers = [{"uuid": uuid, "number": number} for uuid, number in zip(uuids, NUMBERS, strict=True)]
        messages = [{"content": "Hello", "numbers": numbers}]
        with self.registry.cursor() as cr:
            env = CommittedAccountCase._worker_env(cr)
            account = env["iap.account"].browse(self.ids["account"])
            # The request's snapshot is taken before the charge, as a route's first query takes it.
            self.assertEqual(account.credit_balance, 100)
            results = env["iap.sms.server"]._send_for_client(account.sudo(), messages, f"{self.hook.url}/sms/status")
            self.assertFalse(account._ledger_uses_caller(), "the path of a real worker")
        self.assertEqual({result["state"] for result in results}, {"success"})
        charged = sum(result["credit"] for result in results)
        self.assertGreater(charged, 0)
        with self.registry.cursor() as cr:
            env = CommittedAccountCase._worker_env(cr)
            self.assertAlmostEqual(env["iap.account"].browse(self.ids["account"]).credit_balance, 100 - charged)
            outbox = env["iap.sms.message"].search([("uuid", "in", uuids)])
            self.assertEqual(set(outbox.mapped("state")), {"delivered"})
            self.assertEqual(len(env["iap.sms.server.report"].search([("uuid", "in", uuids)])), 3)
            env["iap.sms.server.report"]._cron_push_reports()
        self.assertEqual(set(self.hook.reported()), set(uuids))
        with self.registry.cursor() as cr:
            reports = CommittedAccountCase._worker_env(cr)["iap.sms.server.report"].search([("uuid", "in", uuids)])
            self.assertEqual(set(reports.mapped("state")), {"done"})
