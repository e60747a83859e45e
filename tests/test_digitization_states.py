# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The state machine of digitization: allowed moves happen, the others change nothing."""

from . import digitization_corpus as corpus
from .common import IapCreditsCase


class TestDigitizationStates(IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.vat = corpus.CUSTOMER_VAT
        cls.env.ref("base.GBP").active = True
        cls.ocr_account = cls.env["iap.credit.dispatch"]._get_account("invoice_ocr", cls.company)
        cls.ocr_account.write({"credit_mode": "local", "digitization_gateway": "tesseract"})
        cls.ocr_account._credits_grant(10, "Test credits")
        bill = next(bill for bill in corpus.BILLS if bill.key == "en_gb_classic")
        cls.pdf = corpus.render_pdf(bill)

    def _bill(self):
        move = self.env["account.move"].create({"move_type": "in_invoice"})
        self._attach(move, "bill.pdf")
        return move

    def _attach(self, move, name):
        attachment = self.env["ir.attachment"].create(
            {
                "name": name,
                "raw": self.pdf,
                "mimetype": "application/pdf",
                "res_model": "account.move",
                "res_id": move.id,
            }
        )
        move.message_main_attachment_id = attachment
        return attachment

    def _state(self, move):
        move.invalidate_recordset()
        return (move.digitization_state, move.digitization_error_code or False, len(move.message_ids))

    def test_a_late_failure_never_undoes_a_read_document(self):
        move = self._bill()
        move.action_digitize()
        self.env["account.move"]._digitize_queued()
        self.assertEqual(move.digitization_state, "done", move.digitization_error)
        balance = self.ocr_account.credit_balance
        before = self._state(move)

        self.assertFalse(move._digitization_set_failed("engine", "A late crash report"))
        self.assertFalse(move._digitization_set_in_progress(), "a read document is not claimed again")
        self.assertFalse(
            move._digitization_set_done({}, 1.0, self.ocr_account), "a second reading is neither recorded nor charged"
        )
        self.assertEqual(self._state(move), before, "nothing changed, no chatter message")
        self.assertFalse(move.digitization_error)
        self.ocr_account.invalidate_recordset()
        self.assertEqual(self.ocr_account.credit_balance, balance)

    def test_allowed_moves(self):
        move = self._bill()
        self.assertFalse(move._digitization_set_done({}, 1.0, self.ocr_account), "never requested: nothing to record")
        self.assertFalse(move._digitization_set_in_progress(), "never requested: nothing to claim")
        self.assertFalse(move.digitization_state)

        move.action_digitize()
        self.assertEqual(move.digitization_state, "to_do")
        self.assertFalse(move._digitization_set_done({}, 1.0, self.ocr_account), "queued, not read yet")
        self.assertEqual(move._digitization_set_in_progress(), move)
        self.assertEqual((move.digitization_state, move.digitization_attempts), ("in_progress", 1))

        # A request while a worker reads the document is refused: the worker's outcome stands.
        queued_date = move.digitization_queued_date
        messages = len(move.message_ids)
        move._digitization_enqueue(source="upload")
        self.assertEqual((move.digitization_state, move.digitization_queued_date), ("in_progress", queued_date))
        self.assertEqual(len(move.message_ids), messages, "no 'sent to digitization' message")

        self.assertEqual(move._digitization_set_failed("engine", "The engine crashed"), move)
        self.assertEqual((move.digitization_state, move.digitization_error), ("failed", "The engine crashed"))
        self.assertFalse(move._digitization_set_failed("unreadable", "A second report"), "failed once only")
        self.assertEqual(move.digitization_error, "The engine crashed")

        # A failed document is requested again, read, then requested again with a new document.
        move.action_digitize()
        self.assertEqual((move.digitization_state, move.digitization_error), ("to_do", False))
        self.env["account.move"]._digitize_queued()
        self.assertEqual(move.digitization_state, "done", move.digitization_error)
        self._attach(move, "second.pdf")
        move.action_digitize()
        self.assertEqual((move.digitization_state, move.digitization_attempts), ("to_do", 0))
