# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""What the providers report after accepting a letter: webhooks and polling, cancellations
given back, and the letters the queue job retries."""

from datetime import timedelta

from odoo import api, fields, models

# Provider statuses that mean the letter will not be posted: its credits are given back.
CANCELLED_STATUSES = {"cancelled", "failed"}
# The order of a letter's statuses at its provider (PostGrid's, the generic HTTP API's, the
# sandbox's): a report of a status earlier than the one kept arrived late, and is refused.
PROVIDER_STATUS_ORDER = {
    "sandbox": 1,
    "accepted": 1,
    "queued": 1,
    "ready": 1,
    "printing": 2,
    "processed_for_delivery": 3,
    "sent": 3,
    "completed": 4,
    "delivered": 4,
    "returned": 4,
    "cancelled": 4,
    "failed": 4,
}
# The statuses a letter never leaves: mailed, delivered, returned, cancelled or failed.
LAST_STATUSES = {status for status, rank in PROVIDER_STATUS_ORDER.items() if rank == 4}
# The statuses after which the provider is not asked any more; the sandbox has nobody to ask,
# but its letters can still be cancelled (by a test, or a provider switched back).
FINAL_STATUSES = LAST_STATUSES | {"sandbox"}
# Letters whose provider failed (unreachable, 5xx, timeout) are retried by the stock queue job
# at most this many times; then they stay in error until a user sends them again.
MAX_AUTOMATIC_RETRIES = 5
# Letters accepted by a provider are asked about for this long, then left alone.
POLL_DAYS = 60


class IapSnailmailPostStatus(models.Model):
    """The life of an accepted letter at its provider."""

    _name = "iap.snailmail.post"
    _inherit = ["iap.snailmail.post", "iap.state.machine.mixin"]

    # ------------------------------------------------------------
    # STATE MACHINE — what a provider's report may change
    # ------------------------------------------------------------

    def _snailmail_status_moves(self, status):
        """The accepted letters that ``status`` moves forward; the others are left as they are.

        A letter whose provider status is one of :data:`LAST_STATUSES` never changes again
        (a late cancellation of a delivered letter gives nothing back), and a status earlier
        in :data:`PROVIDER_STATUS_ORDER` than the one kept is a late report, refused.

        :param str status: the provider's status
        :return: the outbox rows to move
        """
        rank = PROVIDER_STATUS_ORDER.get(status)

        def moves(post):
            current = post.provider_status
            if post.state != "accepted" or current == status or current in LAST_STATUSES:
                return False
            current_rank = PROVIDER_STATUS_ORDER.get(current)
            return rank is None or current_rank is None or rank >= current_rank

        return self._state_moves("provider_status", status, moves)

    def _snailmail_set_provider_status(self, status):
        """Keep the provider's new status of accepted letters, when it moves them forward.

        :return: the outbox rows moved
        """
        moving = self._snailmail_status_moves(status)
        moving.sudo().provider_status = status
        return moving

    def _snailmail_set_cancelled(self, status, reason):
        """The provider cancelled (or failed to post) accepted letters: cancelled, with their
        credits given back once.

        :param str status: the provider's status (one of :data:`CANCELLED_STATUSES`)
        :param str reason: why, translated
        :return: the outbox rows cancelled
        """
        moving = self._snailmail_status_moves(status)
        moving.sudo().write({"provider_status": status, "state": "cancelled", "failure_reason": reason})
        for post in moving:
            post._give_back()
        return moving

    # ------------------------------------------------------------
    # STATUS — provider webhooks and the polling job
    # ------------------------------------------------------------

    def _snailmail_apply_status(self, status, cancellation_reason=None, failure_reason=None):
        """Apply a status reported by the provider to accepted letters, when it moves them
        forward (see :meth:`_snailmail_status_moves`).

        A letter the provider cancelled (or failed to post) is not posted: its credits are
        given back once, with a ledger row, and the stock letter goes to error (or to
        cancelled, when the company's user cancelled it at the provider) with a chatter
        notification. Any other status is only kept.

        :param str status: the provider's status (e.g. PostGrid's ``printing``, ``cancelled``)
        :param str cancellation_reason: PostGrid's ``cancellation.reason``, if any
        :param str failure_reason: the provider's own words, if any
        """
        if status not in CANCELLED_STATUSES:
            self.sudo()._snailmail_set_provider_status(status)
            return
        for post in self.sudo():
            reason = failure_reason or self.env._(
                "The provider %(provider)s cancelled the letter (%(reason)s); its credits were given back.",
                provider=post.gateway_id.name or "-",
                reason=cancellation_reason or status,
            )
            letter = post._snailmail_set_cancelled(status, reason).letter_id
            if not letter:
                continue
            if cancellation_reason == "user_initiated":
                letter._iap_credits_set_canceled()
            else:
                code = "FORMAT_ERROR" if cancellation_reason == "invalid_content" else "UNKNOWN_ERROR"
                # The provider's cancellation is the one report that puts a sent letter in error.
                letter._iap_credits_set_error(code, reason, extra_allowed_states=("sent",))
            letter.message_id._notify_message_notification_update()

    def _give_back(self):
        """Give the credits of a cancelled letter back, once (keyed by the outbox row)."""
        self.ensure_one()
        if self.credits > 0 and self.account_id.credit_mode == "local":
            self.account_id.sudo()._credits_grant(
                self.credits,
                self.env._("Letter cancelled by the provider: %(document)s", document=self.document_name or "-"),
                kind="adjustment",
                idempotency_key=f"snailmail-post:{self.id}:cancelled",
                origin=self,
            )

    @api.model
    def _cron_poll_status(self, batch_size=100):
        """Scheduled action: ask the providers about letters they accepted, not final yet."""
        polled = self._poll_status(batch_size=batch_size)
        self.env["ir.cron"]._commit_progress(polled, remaining=0)

    @api.model
    def _poll_status(self, batch_size=100):
        """Ask the providers about up to ``batch_size`` letters they accepted, not final yet,
        those asked about longest ago first.

        :return: how many letters were asked about
        """
        since = fields.Datetime.now() - timedelta(days=POLL_DAYS)
        posts = self.sudo().search(
            [
                ("state", "=", "accepted"),
                ("provider_ref", "!=", False),
                ("create_date", ">=", since),
                "|",
                ("provider_status", "=", False),
                ("provider_status", "not in", list(FINAL_STATUSES)),
            ],
            order="polled_at asc nulls first, id",
            limit=batch_size,
        )
        posts.polled_at = fields.Datetime.now()
        for gateway, gateway_posts in posts.grouped("gateway_id").items():
            if gateway:
                gateway._snailmail_poll(gateway_posts)
        return len(posts)

    @api.model
    def _letters_to_retry(self):
        """Letters of local accounts whose last attempt failed at the provider (unreachable,
        server error, timeout), tried fewer than `MAX_AUTOMATIC_RETRIES` times: the stock
        queue job, which retries only credit and address errors, tries them again too."""
        failed = self.sudo().search(
            [("retry", "=", True), ("letter_id.state", "=", "error"), ("letter_id.error_code", "=", "UNKNOWN_ERROR")]
        )
        attempts = self.sudo().search([("letter_id", "in", failed.letter_id.ids)])  # newest first (_order)
        letters = self.env["snailmail.letter"]
        for letter, posts in attempts.grouped("letter_id").items():
            if posts[0].retry and len(posts.filtered("retry")) < MAX_AUTOMATIC_RETRIES:
                letters |= letter
        return letters
