# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Base class and helpers shared by the iap_credits tests."""

from odoo import SUPERUSER_ID, api
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase
from odoo.tools import float_compare

ACCESS_ERROR = "odoo.exceptions.AccessError"


class JsonRpcMixin:
    """Calls made as the web client (or a script) makes them: ``/web/dataset/call_kw``
    with the session of the authenticated user. Security tests act as that user."""

    def _call(self, model, method, args, kwargs=None):
        """Call ``model.method`` over JSON-RPC; return the JSON answer (``result`` or ``error``)."""
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
            },
            timeout=60,
        )
        self.assertEqual(response.status_code, 200, response.text[:300])
        return response.json()

    def _call_kw(self, model, method, args, kwargs=None):
        """The result of a call that must succeed."""
        response = self._call(model, method, args, kwargs)
        self.assertNotIn("error", response, f"{model}.{method}: {response.get('error', {}).get('data')}")
        return response["result"]

    def assertRpcRefused(self, response, error=ACCESS_ERROR):
        self.assertIn("error", response, f"the call succeeded: {response.get('result')!r}")
        self.assertEqual(response["error"]["data"]["name"], error, response["error"]["data"].get("message"))

    def assertRpcDone(self, response):
        self.assertNotIn("error", response, response.get("error", {}).get("data", {}).get("message"))
        return response["result"]


def load_zh_cn(env):
    """Activate Simplified Chinese and load this addon's translations into the database."""
    env["res.lang"]._activate_lang("zh_CN")
    env["ir.module.module"].search([("name", "=", "iap_credits")])._update_translations(["zh_CN"], overwrite=True)


def setup_local_sms_account(cls):
    """Give a test class ``company``, ``service_sms`` and ``account``, a local SMS account
    of the current company, without credits."""
    cls.company = cls.env.company
    cls.service_sms = cls.env.ref("sms.iap_service_sms")
    cls.account = cls.env["iap.account"].create(
        {
            "name": "Test SMS account",
            "service_id": cls.service_sms.id,
            "company_ids": [(6, 0, cls.company.ids)],
            "credit_mode": "local",
        }
    )


class IapCreditsCase(TransactionCase):
    """A company with a local SMS account, a user and a manager.

    Test data is created in the test transaction and rolled back. Tests that need
    several real database connections (concurrency) commit their own data through
    :class:`CommittedAccountCase`.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_local_sms_account(cls)
        cls.user = new_test_user(cls.env, login="iap_credits_user", groups="base.group_user")
        cls.manager = new_test_user(
            cls.env, login="iap_credits_manager", groups="base.group_user,iap_credits.group_iap_credits_manager"
        )

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _create_local_account(self, service=None, companies=None, credits=0.0, **values):
        account = self.env["iap.account"].create(
            {
                "service_id": (service or self.service_sms).id,
                "company_ids": [(6, 0, (companies or self.company).ids)],
                "credit_mode": "local",
                **values,
            }
        )
        if credits:
            account._credits_grant(credits, "Test credits")
        return account

    def assertCredits(self, account, balance, reserved=0.0):
        """Check the stored balances and that they equal the sums of the ledger."""
        account.invalidate_recordset()
        self.assertAlmostEqual(account.credit_balance, balance, places=4, msg="stored balance")
        self.assertAlmostEqual(account.credit_reserved, reserved, places=4, msg="stored reserved")
        self.assertAlmostEqual(account.credit_available, balance - reserved, places=4, msg="stored available")
        self.assertLedgerConsistent(account)

    def assertLedgerConsistent(self, account):
        """The invariants: balance = Σ credits, reserved = Σ reserved changes, available ≥ 0."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT a.credit_balance, a.credit_reserved, a.credit_available,
                   COALESCE(SUM(t.credits), 0), COALESCE(SUM(t.reserved_change), 0)
              FROM iap_account a LEFT JOIN iap_credit_transaction t ON t.account_id = a.id
             WHERE a.id = %s GROUP BY a.id
            """,
            [account.id],
        )
        balance, reserved, available, sum_credits, sum_reserved = self.env.cr.fetchone()
        self.assertEqual(float_compare(balance, sum_credits, 4), 0, "balance != Σ ledger credits")
        self.assertEqual(float_compare(reserved, sum_reserved, 4), 0, "reserved != Σ ledger reserved changes")
        self.assertEqual(float_compare(available, balance - reserved, 4), 0, "available != balance - reserved")
        self.assertGreaterEqual(float_compare(available, 0.0, 4), 0, "available credits below zero")


class CommittedAccountCase(TransactionCase):
    """A local account committed through a cursor of its own, for tests with real workers.

    What other connections commit is invisible to the test transaction, so these tests
    create their account (with ``COMMITTED_CREDITS``) through a separate cursor and
    delete it with SQL at the end: ledger rows cannot be deleted through the ORM.
    """

    COMMITTED_CREDITS = 10
    COMMITTED_ACCOUNT_NAME = "Committed test account"

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = self._worker_env(cr)
            account = env["iap.account"].create(
                {
                    "name": self.COMMITTED_ACCOUNT_NAME,
                    "service_id": env.ref("sms.iap_service_sms").id,
                    "credit_mode": "local",
                }
            )
            account._credits_grant(self.COMMITTED_CREDITS, f"{self.COMMITTED_ACCOUNT_NAME} credits")
            self.account_id = account.id
        self.addCleanup(self._drop_account)

    def _drop_account(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM iap_credit_transaction WHERE account_id = %s", [self.account_id])
            cr.execute("DELETE FROM mail_followers WHERE res_model = 'iap.account' AND res_id = %s", [self.account_id])
            cr.execute("DELETE FROM mail_message WHERE model = 'iap.account' AND res_id = %s", [self.account_id])
            cr.execute("DELETE FROM iap_account WHERE id = %s", [self.account_id])

    @staticmethod
    def _worker_env(cr):
        return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True})
