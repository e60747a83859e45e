# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: two workers post-process the same paid client purchase at once (the status
page and the cron): one invoice, one grant.

Other connections do not see the test transaction, so the purchase is committed through a
cursor of its own and removed with SQL at the end (posted invoices and ledger rows cannot be
deleted through the ORM).
"""

import threading
import time

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

WORKERS = 2


@tagged("post_install", "-at_install")
class TestServerCreditConcurrency(TransactionCase):
    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            provider = env.ref("payment.payment_provider_demo")
            partner = env["res.partner"].create({"name": "Concurrent Client"})
            account = env["iap.account"].create(
                {
                    "name": "Concurrent client SMS",
                    "service_id": env.ref("sms.iap_service_sms").id,
                    "credit_mode": "local",
                    "account_token": "c2-concurrent-client-token",
                    "client_partner_id": partner.id,
                }
            )
            pack = env["iap.credit.pack"].create(
                {"name": "Concurrent Pack", "service_id": account.service_id.id, "credits": 40, "price": 4.0}
            )
            tx = env["payment.transaction"].create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": env.ref("payment_demo.payment_method_demo").id,
                    "reference": env["payment.transaction"]._compute_reference("demo", prefix="CREDITS-C2"),
                    "amount": pack.price,
                    "currency_id": pack.currency_id.id,
                    "partner_id": partner.id,
                    "operation": "online_direct",
                    "iap_credit_account_id": account.id,
                    "iap_credit_pack_id": pack.id,
                    "iap_credits": pack.total_credits,
                }
            )
            tx._process("demo", {"reference": tx.reference, "payment_details": "4242", "simulated_state": "done"})
            self.ids = {"partner": partner.id, "account": account.id, "pack": pack.id, "tx": tx.id}
        self.addCleanup(self._drop)

    def _drop(self):
        with self.registry.cursor() as cr:
            ids = self.ids
            cr.execute(
                "SELECT move_id FROM account_move_line WHERE partner_id = %s "
                "UNION SELECT id FROM account_move WHERE partner_id = %s",
                [ids["partner"], ids["partner"]],
            )
            moves = tuple(row[0] for row in cr.fetchall()) or (0,)
            statements = [
                (
                    "DELETE FROM account_partial_reconcile WHERE debit_move_id IN "
                    "(SELECT id FROM account_move_line WHERE move_id IN %s) OR credit_move_id IN "
                    "(SELECT id FROM account_move_line WHERE move_id IN %s)",
                    [moves, moves],
                ),
                (
                    "UPDATE payment_transaction SET payment_id = NULL, iap_credit_invoice_id = NULL WHERE id = %s",
                    [ids["tx"]],
                ),
                ("DELETE FROM account_payment WHERE move_id IN %s OR partner_id = %s", [moves, ids["partner"]]),
                ("DELETE FROM account_move_line WHERE move_id IN %s", [moves]),
                ("DELETE FROM account_move WHERE id IN %s", [moves]),
                ("DELETE FROM payment_transaction WHERE id = %s", [ids["tx"]]),
                ("DELETE FROM iap_credit_transaction WHERE account_id = %s", [ids["account"]]),
                ("DELETE FROM iap_credit_pack WHERE id = %s", [ids["pack"]]),
                (
                    "DELETE FROM mail_message WHERE (model = 'iap.account' AND res_id = %s) OR model = 'account.move' "
                    "AND res_id IN %s",
                    [ids["account"], moves],
                ),
                (
                    "DELETE FROM mail_followers WHERE partner_id = %s OR (res_model = 'iap.account' AND res_id = %s)",
                    [ids["partner"], ids["account"]],
                ),
                ("DELETE FROM iap_account WHERE id = %s", [ids["account"]]),
                ("DELETE FROM res_partner WHERE id = %s", [ids["partner"]]),
            ]
            for query, params in statements:
                cr.execute(query, params)

    def _worker(self, outcomes, barrier):
        """Post-process the purchase as the status page does, once, without retrying."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            tx = env["payment.transaction"].browse(self.ids["tx"])
            barrier.wait()
            try:
                tx._post_process()
                time.sleep(0.3)  # hold the transaction's lock while the other worker arrives
                cr.commit()  # pylint: disable=invalid-commit
                outcomes.append("post-processed")
            except SerializationFailure:
                cr.rollback()
                outcomes.append("retry")

    def test_concurrent_post_processing_invoices_and_grants_once(self):
        barrier = threading.Barrier(WORKERS)
        outcomes = []
        threads = [threading.Thread(target=self._worker, args=(outcomes, barrier)) for _i in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        # The second worker waited for the first one's lock, then could not serialize.
        self.assertEqual(sorted(outcomes), ["post-processed", "retry"])
        # The retried worker (what Odoo does with a serialization failure) finds the work done.
        self._worker([], threading.Barrier(1))
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            tx = env["payment.transaction"].browse(self.ids["tx"])
            invoices = env["account.move"].search(
                [("partner_id", "=", self.ids["partner"]), ("move_type", "=", "out_invoice")]
            )
            self.assertEqual(len(invoices), 1, f"one invoice ({outcomes})")
            self.assertEqual(tx.iap_credit_invoice_id, invoices)
            self.assertIn(invoices.payment_state, ("paid", "in_payment"))
            rows = env["iap.credit.transaction"].search([("account_id", "=", self.ids["account"])])
            self.assertEqual(rows.mapped("credits"), [40.0], "one grant")
            self.assertEqual(len(env["account.payment"].search([("payment_transaction_id", "=", tx.id)])), 1)
