# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The state machines of snail mail: a provider's late report never moves a letter back,
and a letter sent or cancelled is never put back in error by a late failure."""

from odoo.tests import tagged

from .common import IapCreditsCase
from .common_snailmail import SnailmailMixin, setup_snailmail


@tagged("post_install", "-at_install")
class TestSnailmailStates(SnailmailMixin, IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_snailmail(cls)

    def _sent_letter(self):
        letter = self._letter()
        letter._snailmail_print()
        post = self._posts(letter)
        self.assertEqual((letter.state, post.state, post.provider_status), ("sent", "accepted", "sandbox"))
        return letter, post

    def test_late_reports_never_move_a_letter_back(self):
        self.account._credits_grant(10, "Welcome")
        letter, post = self._sent_letter()
        self.assertCredits(self.account, 9)

        self.assertEqual(post._snailmail_set_provider_status("printing"), post)
        post._snailmail_apply_status("ready")
        self.assertEqual(post.provider_status, "printing", "a late 'ready' is an earlier status")
        post._snailmail_apply_status("delivered")
        self.assertEqual(post.provider_status, "delivered")

        for status in ("cancelled", "failed", "printing", "returned"):
            with self.subTest(status=status):
                self.assertFalse(post._snailmail_status_moves(status))
                post._snailmail_apply_status(status, failure_reason="Lost in the mail")
                self.assertEqual((post.state, post.provider_status), ("accepted", "delivered"))
                self.assertEqual((letter.state, letter.error_code), ("sent", False))
        self.assertCredits(self.account, 9)  # a delivered letter is never given back
        self.assertEqual(self._kinds(), ["grant", "reservation", "capture"])

    def test_cancelled_once(self):
        self.account._credits_grant(10, "Welcome")
        _letter, post = self._sent_letter()
        self.assertEqual(post._snailmail_set_cancelled("cancelled", "Cancelled at the provider"), post)
        self.assertEqual((post.state, post.failure_reason), ("cancelled", "Cancelled at the provider"))
        self.assertCredits(self.account, 10)
        self.assertFalse(post._snailmail_set_cancelled("failed", "Told again"), "cancelled once")
        self.assertFalse(post._snailmail_set_provider_status("printing"))
        self.assertEqual((post.state, post.provider_status), ("cancelled", "cancelled"))
        self.assertCredits(self.account, 10)

    def test_letter_outcomes(self):
        self.account._credits_grant(10, "Welcome")
        letter = self._letter()
        self.assertEqual(letter._iap_credits_set_error("UNKNOWN_ERROR", "The provider is down"), letter)
        self.assertEqual((letter.state, letter.error_code), ("error", "UNKNOWN_ERROR"))
        self.assertEqual(letter._iap_credits_set_sent("ref-1"), letter, "an error is retried and sent")
        self.assertEqual(letter.state, "sent")
        info = letter.info_msg

        # A late failure (an earlier attempt's answer) leaves a sent letter sent.
        self.assertFalse(letter._iap_credits_set_error("UNKNOWN_ERROR", "A late timeout"))
        self.assertEqual((letter.state, letter.error_code, letter.info_msg), ("sent", False, info))
        self.assertEqual(letter.notification_ids.notification_status, "sent")
        self.assertFalse(letter._iap_credits_set_sent("ref-2"), "sent once")
        self.assertNotIn("ref-2", letter.info_msg)

        # Only the provider's cancellation puts a sent letter in error.
        self.assertEqual(
            letter._iap_credits_set_error("FORMAT_ERROR", "Blank page", extra_allowed_states=("sent",)), letter
        )
        self.assertEqual((letter.state, letter.error_code), ("error", "FORMAT_ERROR"))

        other, _post = self._sent_letter()
        self.assertEqual(other._iap_credits_set_canceled(), other)
        self.assertEqual(other.state, "canceled")
        for outcome in (
            lambda: other._iap_credits_set_sent("ref-3"),
            lambda: other._iap_credits_set_error("UNKNOWN_ERROR", "x", extra_allowed_states=("sent",)),
        ):
            self.assertFalse(outcome())
            self.assertEqual(other.state, "canceled", "a cancelled letter stays cancelled")
        self.assertFalse(other._iap_credits_set_canceled())
