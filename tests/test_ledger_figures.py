# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The ledger figures of the account form, which must not depend on the ledger's size."""

from odoo.addons.iap_credits.models.iap_account import RECENT_LEDGER_ROWS

from .common import IapCreditsCase


class TestLedgerFigures(IapCreditsCase):
    def test_transaction_count_kept_by_the_ledger(self):
        account = self._create_local_account(credits=10)
        with account._credits_charge(2, "2 SMS"):
            pass
        account._credits_capture(account._credits_reserve(3, "3 SMS"), 1)
        account.invalidate_recordset()
        # grant; reservation + capture; reservation + capture + release
        self.assertEqual(account.transaction_count, 6)
        self.assertEqual(account.transaction_count, len(account.transaction_ids))

    def test_recent_movements_are_the_latest(self):
        account = self._create_local_account()
        for index in range(RECENT_LEDGER_ROWS + 5):
            account._credits_grant(1, f"Grant {index}")
        account.invalidate_recordset()
        recent = account.recent_transaction_ids
        self.assertEqual(len(recent), RECENT_LEDGER_ROWS)
        self.assertEqual(recent, account.transaction_ids.sorted("id", reverse=True)[:RECENT_LEDGER_ROWS])
        self.assertEqual(recent[0].description, f"Grant {RECENT_LEDGER_ROWS + 4}")
        self.assertEqual(account.transaction_count, RECENT_LEDGER_ROWS + 5)
