# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from .common import IapCreditsCase


class TestLedger(IapCreditsCase):
    def test_grant(self):
        row = self.account._credits_grant(100, "Welcome")
        self.assertEqual((row.kind, row.credits, row.balance_after), ("grant", 100, 100))
        self.assertEqual(row.service_id, self.service_sms)
        self.assertEqual(row.user_id, self.env.user)
        self.assertEqual(row.company_id, self.env.company)
        self.assertCredits(self.account, 100)
        self.assertEqual(self.account.balance, "100 Credits", "the stock balance text shows the local balance")
        self.assertEqual(self.account.state, "registered")

    def test_reserve_capture_all(self):
        self.account._credits_grant(10, "Welcome")
        hold = self.account._credits_reserve(4, "4 SMS", reference="batch-1")
        self.assertEqual(hold.kind, "reservation")
        self.assertEqual(hold.hold_state, "active")
        self.assertCredits(self.account, 10, reserved=4)
        capture = self.account._credits_capture(hold)
        self.assertEqual((capture.kind, capture.credits, capture.credits_used), ("capture", -4, 4))
        self.assertEqual(capture.hold_id, hold)
        self.assertEqual(capture.reference, "batch-1")
        hold.invalidate_recordset()
        self.assertEqual(hold.hold_state, "captured")
        self.assertCredits(self.account, 6)

    def test_partial_capture_releases_the_rest(self):
        self.account._credits_grant(10, "Welcome")
        hold = self.account._credits_reserve(5, "5 SMS")
        self.account._credits_capture(hold, 3)
        self.assertCredits(self.account, 7)
        rows = self.account.transaction_ids.sorted("id")
        self.assertEqual(rows.mapped("kind"), ["grant", "reservation", "capture", "release"])
        self.assertEqual(rows.mapped("reserved_change"), [0, 5, -3, -2])
        self.assertEqual(rows.mapped("balance_after"), [10, 10, 7, 7])
        self.assertEqual(rows.mapped("reserved_after"), [0, 5, 2, 0])

    def test_release(self):
        self.account._credits_grant(10, "Welcome")
        hold = self.account._credits_reserve(10, "10 SMS")
        self.assertCredits(self.account, 10, reserved=10)
        self.account._credits_release(hold)
        self.assertCredits(self.account, 10)
        hold.invalidate_recordset()
        self.assertEqual(hold.hold_state, "released")

    def test_hold_closes_once(self):
        """Capture and release are idempotent per hold: repeating the same closure moves
        nothing and answers the first one; another closure of a closed hold is refused."""
        self.account._credits_grant(10, "Welcome")
        hold = self.account._credits_reserve(5, "5 SMS")
        capture = self.account._credits_capture(hold)
        self.assertEqual(self.account._credits_capture(hold), capture, "a repeated capture answers the first")
        with self.assertRaises(UserError):
            self.account._credits_capture(hold, 3)
        with self.assertRaises(UserError):
            self.account._credits_release(hold)
        self.assertCredits(self.account, 5)

        released = self.account._credits_reserve(2, "2 SMS")
        release = self.account._credits_release(released)
        self.assertEqual(self.account._credits_release(released), release, "a repeated release answers the first")
        with self.assertRaises(UserError):
            self.account._credits_capture(released)
        self.assertCredits(self.account, 5)
        self.assertEqual(self.account.transaction_count, 5, "grant, two holds, one capture, one release")

    def test_capture_more_than_held_refused(self):
        self.account._credits_grant(10, "Welcome")
        hold = self.account._credits_reserve(2, "2 SMS")
        with self.assertRaises(UserError):
            self.account._credits_capture(hold, 3)
        self.assertCredits(self.account, 10, reserved=2)

    def test_insufficient_credit(self):
        self.account._credits_grant(3, "Welcome")
        self.account._credits_reserve(2, "2 SMS")
        with self.assertRaises(InsufficientCreditError) as catcher:
            self.account._credits_reserve(2, "2 more SMS")
        message = str(catcher.exception)
        self.assertIn("SMS", message)
        self.assertIn("Buy Credit", message)
        self.assertEqual(catcher.exception.data["credit"], 1)
        self.assertCredits(self.account, 3, reserved=2)

    def test_charge_context_manager(self):
        self.account._credits_grant(10, "Welcome")
        with self.account._credits_charge(3, "3 SMS", reference="ref") as charge:
            self.assertCredits(self.account, 10, reserved=3)
            self.assertEqual(charge.hold.reserved_change, 3)
        self.assertCredits(self.account, 7)

    def test_charge_partial(self):
        self.account._credits_grant(10, "Welcome")
        with self.account._credits_charge(3, "3 SMS") as charge:
            charge.credits = 1  # two of the three messages could not be sent
        self.assertCredits(self.account, 9)

    def test_charge_released_on_exception(self):
        self.account._credits_grant(10, "Welcome")
        # Not `assertRaises`: Odoo's rolls back to a savepoint, which would hide the rows.
        raised = False
        try:
            with self.account._credits_charge(3, "3 SMS"):
                _ = 1 / 0
        except ZeroDivisionError:
            raised = True
        self.assertTrue(raised)
        self.assertCredits(self.account, 10)
        self.assertEqual(self.account.transaction_ids.sorted("id").mapped("kind"), ["grant", "reservation", "release"])

    def test_charge_insufficient_holds_nothing(self):
        self.account._credits_grant(1, "Welcome")
        with self.assertRaises(InsufficientCreditError), self.account._credits_charge(2, "2 SMS"):
            self.fail("the block must not run without credits")
        self.assertCredits(self.account, 1)
        self.assertEqual(len(self.account.transaction_ids), 1)

    def test_expired_holds_released_by_cron(self):
        self.account._credits_grant(10, "Welcome")
        past = fields.Datetime.now() - timedelta(minutes=1)
        expired = self.account._credits_reserve(4, "died worker", expires_at=past)
        alive = self.account._credits_reserve(3, "still working")
        captured = self.account._credits_reserve(2, "done", expires_at=past)
        self.account._credits_capture(captured)
        self.assertCredits(self.account, 8, reserved=7)
        released = self.env["iap.account"]._release_expired_holds()
        self.assertEqual(released, 1)
        self.assertCredits(self.account, 8, reserved=3)
        expired.invalidate_recordset()
        self.assertEqual(expired.hold_state, "released")
        alive.invalidate_recordset()
        self.assertEqual(alive.hold_state, "active")
        self.assertEqual(self.env["iap.account"]._release_expired_holds(), 0, "a hold is released once")

    def test_debit_never_below_available(self):
        self.account._credits_grant(5, "Welcome")
        self.account._credits_reserve(4, "held")
        with self.assertRaises(InsufficientCreditError):
            self.account._credits_debit(2, "correction")
        self.account._credits_debit(1, "correction")
        self.assertCredits(self.account, 4, reserved=4)

    def test_idempotency_key(self):
        first = self.account._credits_grant(50, "Pack", kind="purchase", idempotency_key="payment.transaction:7")
        for _attempt in range(4):
            again = self.account._credits_grant(50, "Pack", kind="purchase", idempotency_key="payment.transaction:7")
            self.assertEqual(again, first)
        self.assertCredits(self.account, 50)

    def test_invalid_amounts(self):
        for credits in (0, -1):
            with self.assertRaises(UserError):
                self.account._credits_grant(credits, "nothing")
            with self.assertRaises(UserError):
                self.account._credits_reserve(credits, "nothing")
        self.assertCredits(self.account, 0)

    def test_odoo_mode_account_has_no_local_credits(self):
        remote = self._create_local_account(credit_mode="odoo")
        with self.assertRaises(UserError):
            remote._credits_grant(5, "nope")

    def test_balances_not_writable(self):
        for field in ("credit_balance", "credit_reserved", "credit_available"):
            with self.assertRaises(UserError):
                self.account.write({field: 1000})
            with self.assertRaises(UserError):
                self._create_local_account(**{field: 1000})
        self.assertCredits(self.account, 0)

    def test_get_credits_answers_locally(self):
        self.account._credits_grant(42, "Welcome")
        self.assertEqual(self.env["iap.account"].get_credits("sms"), 42)
