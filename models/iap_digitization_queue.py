# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The digitization queue: requests, the daily caps on emailed documents, the scheduled job
that claims documents (oldest first, every type together) and the notification of the forms."""

import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import email_normalize

from .iap_digitization_mixin import (
    DEFAULT_EMAIL_LIMIT,
    DEFAULT_EMAIL_LIMIT_PER_SENDER,
    DIGITIZATION_LEASE_GRACE,
    DIGITIZATION_MAX_ATTEMPTS,
    DIGITIZATION_NOTIFICATION,
    PARAM_EMAIL_LIMIT,
    PARAM_EMAIL_LIMIT_PER_SENDER,
)

_logger = logging.getLogger(__name__)


class IapDigitizationQueue(models.AbstractModel):
    """The queue of :class:`IapDigitizationMixin`, shared by every document type."""

    _inherit = "iap.digitization.mixin"

    def _digitization_enqueue(self, source="manual"):
        """Queue the records with their document, as the current user: the job reads each
        document with this user's access rights.

        :param str source: ``manual`` (Digitize), ``upload`` or ``email`` (automatic)
        """
        user = self.env.user
        for record in self:
            attachment = record._digitization_document()
            record._digitization_check_attachment(attachment, user)
            if record._digitization_set_to_do(attachment, user, source):
                record.message_post(body=self.env._("Sent to document digitization."))
        self.env.ref("iap_credits.ir_cron_digitize_documents")._trigger()

    def _digitization_email_refusal(self):
        """Why this emailed document is not digitized automatically, or ``None`` when it is.

        Counted over every document type: the overall cap bounds what a flood of emails
        spends, whatever alias it reaches.

        :return: a translated chatter message when a daily cap is reached
        """
        self.ensure_one()
        get_limit = self.env["iap.account"]._digitization_param
        per_sender = get_limit(PARAM_EMAIL_LIMIT_PER_SENDER, DEFAULT_EMAIL_LIMIT_PER_SENDER, minimum=0)
        overall = get_limit(PARAM_EMAIL_LIMIT, DEFAULT_EMAIL_LIMIT, minimum=0)
        raw_sender = self._digitization_sender_email() or ""
        sender = email_normalize(raw_sender) or raw_sender.strip().lower()
        domain = [
            ("digitization_source", "=", "email"),
            ("digitization_queued_date", ">=", fields.Datetime.now() - timedelta(days=1)),
        ]
        own = [*domain, ("id", "!=", self.id)]
        if sender:
            sent = self.sudo().search_count([*own, *self._digitization_sender_domain(sender)], limit=per_sender + 1)
            if sent >= per_sender:
                return self.env._(
                    "Not digitized automatically: %(sender)s already sent %(count)s documents to digitize in the "
                    "last 24 hours, the most your administrator allows. Click Digitize to read this one.",
                    sender=sender,
                    count=sent,
                )
        received = 0
        for model in self._digitization_queue_models():
            if received >= overall:
                break
            model_domain = own if model._name == self._name else domain
            received += model.sudo().search_count(model_domain, limit=overall + 1 - received)
        if received >= overall:
            return self.env._(
                "Not digitized automatically: %(count)s emailed documents were already sent to digitization in the "
                "last 24 hours, the most your administrator allows. Click Digitize to read this one.",
                count=received,
            )
        return None

    @api.model
    def _digitization_queue_models(self):
        """The models whose documents the queue reads: this one, or on the mixin itself,
        every model that inherits it (bills, receipts, résumés, ...)."""
        if not self._abstract:
            return [self]
        names = self.env.registry.descendants([self._name], "_inherit")
        return [
            self.env[name]
            for name in sorted(names)
            if not self.env[name]._abstract and not self.env[name]._transient and self.env[name]._auto
        ]

    @api.model
    def _cron_digitize_documents(self, batch_size=10):
        """Scheduled action: digitize the queued documents of every type, a committed batch
        at a time, the oldest requests first.

        The attempt on each document is committed before it is read: a worker killed
        mid-OCR (time or memory limit) has still counted it, so that document is taken after
        the others next time, and failed at its second interruption instead of blocking the
        queue forever. The credits of each document are held and captured in the ledger's
        own short transactions (no lock is held while the OCR engine works), so a commit
        carries several documents; each commit records their outcome and lets the job stop
        and resume on time.
        """
        Cron = self.env["ir.cron"]
        while True:
            claimed = self._digitization_claim(limit=batch_size)
            remaining = self._digitization_queue_count()
            if not claimed:
                Cron._commit_progress(remaining=0)
                return
            Cron._commit_progress(remaining=remaining + len(claimed))  # the attempts are counted
            self._digitize_claimed(claimed)
            if not Cron._commit_progress(len(claimed), remaining=remaining):
                return

    @api.model
    def _digitize_queued(self, limit=5):
        """Digitize up to ``limit`` queued documents, in one transaction (the tests' entry
        point; the scheduled job commits the claim first, see :meth:`_cron_digitize_documents`).
        On a model, its own documents; on the mixin, those of every type.

        :return: how many documents were processed
        """
        claimed = self._digitization_claim(limit=limit)
        self._digitize_claimed(claimed)
        return len(claimed)

    @api.model
    def _digitization_queue_domain(self):
        """The documents waiting: queued, or left in progress by a worker that died."""
        limits = self.env["iap.account"]._digitization_limits()
        lease = fields.Datetime.now() - timedelta(seconds=limits.max_seconds + DIGITIZATION_LEASE_GRACE)
        return [
            "|",
            ("digitization_state", "=", "to_do"),
            "&",
            ("digitization_state", "=", "in_progress"),
            ("digitization_started_date", "<", lease),
        ]

    @api.model
    def _digitization_queue_count(self):
        domain = self._digitization_queue_domain()
        return sum(model.sudo().search_count(domain) for model in self._digitization_queue_models())

    @api.model
    def _digitization_claim(self, limit):
        """Take up to ``limit`` documents off the queue and count an attempt on each.

        Documents already started :data:`DIGITIZATION_MAX_ATTEMPTS` times are failed (nothing
        was charged: a killed worker's hold was rolled back with it). The others come by
        attempts, then age, whatever their type: a document that was interrupted goes after
        the fresh ones.

        :return: the claimed records, one per document, locked and ``in_progress``
        :rtype: list
        """
        domain = self._digitization_queue_domain()
        order = "digitization_attempts, digitization_queued_date, id"
        candidates, failed = [], []
        for model in self._digitization_queue_models():
            exhausted = model.search([*domain, ("digitization_attempts", ">=", DIGITIZATION_MAX_ATTEMPTS)])
            for record in exhausted.try_lock_for_update():
                _logger.warning(
                    "Digitization of %s was interrupted %s times: failed", record, record.digitization_attempts
                )
                failed.extend(
                    record._digitization_set_failed(
                        "interrupted",
                        self.env._(
                            "The digitization was interrupted %(count)s times on this document (it may be too large or "
                            "malformed): it is not tried again.",
                            count=record.digitization_attempts,
                        ),
                    )
                )
            candidates.extend(
                model.search(
                    [*domain, ("digitization_attempts", "<", DIGITIZATION_MAX_ATTEMPTS)], order=order, limit=limit
                )
            )
        # One queue: the oldest requests of every type first.
        candidates.sort(
            key=lambda r: (r.digitization_attempts, r.digitization_queued_date or fields.Datetime.now(), r.id)
        )
        candidates = candidates[:limit]
        self._digitization_notify(failed)
        claimed_ids = set()
        for model_name in {record._name for record in candidates}:
            records = self.env[model_name].browse([r.id for r in candidates if r._name == model_name])
            # A document another worker reads right now is left to it.
            claimed_ids.update(
                (model_name, record.id) for record in records.try_lock_for_update()._digitization_set_in_progress()
            )
        return [record for record in candidates if (record._name, record.id) in claimed_ids]

    @api.model
    def _digitize_claimed(self, records):
        """Digitize the claimed records, each on its own: the failure of one (unreadable,
        over a cap, engine crash, no credits) is recorded on it and never stops the others.

        :param records: an iterable of records of the digitized models (possibly several)
        """
        for record in records:
            try:
                with self.env.cr.savepoint():
                    # Read in the language of who asked: the messages and the failure shown on the record.
                    record.with_context(lang=record.digitization_queued_uid.lang or self.env.lang)._digitize()
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                # Not the document's fault: the whole batch is rolled back and retried, like stock.
                raise
            except Exception as error:  # never let one document block the queue
                _logger.exception("Digitization of %s crashed", record)
                record._digitization_set_failed(
                    "engine", self.env._("The digitization crashed: %(error)s", error=str(error) or repr(error))
                )
        self._digitization_notify(records)

    @api.model
    def _digitization_notify(self, records):
        """Tell the web clients of who asked for these records' digitization, and of their
        internal followers, that it ended: a form showing one of them reloads it, with the
        fields filled, the new state and without the Digitize button. Sent when the
        transaction commits, so the reloaded form reads what was committed.

        :param records: an iterable of records of the digitized models (possibly several)
        """
        ids_by_model = defaultdict(list)
        for record in records:
            ids_by_model[record._name].append(record.id)
        for model_name, ids in ids_by_model.items():
            # sudo: the requester and the followers are read to address the notification only.
            watched = self.env[model_name].sudo().browse(ids)
            watchers = defaultdict(set)
            for record in watched:
                watchers[record.digitization_queued_uid.partner_id].add(record.id)
            followers = (
                self.env["mail.followers"]
                .sudo()
                .search(
                    [("res_model", "=", model_name), ("res_id", "in", ids), ("partner_id.user_ids.share", "=", False)]
                )
            )
            for follower in followers:
                watchers[follower.partner_id].add(follower.res_id)
            for partner, record_ids in watchers.items():
                if partner:
                    partner._bus_send(DIGITIZATION_NOTIFICATION, {"model": model_name, "ids": sorted(record_ids)})
