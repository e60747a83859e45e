# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging
import re
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, email_normalize, float_compare, float_is_zero

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from ..tools import document_text, document_values, vat_numbers

_logger = logging.getLogger(__name__)

DIGITIZATION_SERVICE = "invoice_ocr"
DIGITIZATION_STATES = [
    ("to_do", "To Do"),
    ("in_progress", "In Progress"),
    ("done", "Done"),
    ("failed", "Failed"),
]
DIGITIZATION_ERRORS = [
    ("unreadable", "Unreadable document"),
    ("no_credit", "Not enough credits"),
    ("engine", "Engine failure"),
    ("no_account", "No local account"),
    ("limit", "Document over the limits"),
    ("forbidden", "Document not allowed"),
    ("interrupted", "Interrupted twice"),
]
DIGITIZATION_SOURCES = [
    ("manual", "Digitize button"),
    ("upload", "Upload"),
    ("email", "Email"),
]
# A document whose reading was started this many times without an outcome (the worker was
# killed by a time or memory limit mid-OCR) is failed instead of tried again forever.
DIGITIZATION_MAX_ATTEMPTS = 2
# A document left "in progress" by a dead worker is taken again this many seconds after its
# own time cap ran out.
DIGITIZATION_LEASE_GRACE = 300
# The queue: only the Digitize action and the scheduled job write these (as superuser),
# never a user directly; the document is checked against the record when it is set.
DIGITIZATION_QUEUE_FIELDS = frozenset(
    {
        "digitization_state",
        "digitization_error_code",
        "digitization_error",
        "digitization_attempts",
        "digitization_queued_uid",
        "digitization_queued_date",
        "digitization_started_date",
        "digitization_source",
    }
)
# Documents received by email and digitized automatically, per sender and in all (every
# document type together), in 24 hours: system parameters an administrator sets; 0
# digitizes no emailed document automatically.
PARAM_EMAIL_LIMIT_PER_SENDER = "iap_credits.digitization_email_daily_limit_per_sender"
PARAM_EMAIL_LIMIT = "iap_credits.digitization_email_daily_limit"
DEFAULT_EMAIL_LIMIT_PER_SENDER = 20
DEFAULT_EMAIL_LIMIT = 200
# The bus notification sent when the queue has read documents, ``{"model", "ids"}``: an open
# form of one of these records reloads it (static/src/digitization/form_controller_patch.js).
DIGITIZATION_NOTIFICATION = "iap_credits/digitization"


class IapDigitizationMixin(models.AbstractModel):
    """Document digitization of a record: one queue, one pipeline, one price for every type.

    A model whose records carry a document to read (vendor bills, expense receipts,
    résumés, ...) inherits this mixin and ``mail.thread.main.attachment``, sets
    :attr:`_digitization_document_type` to the extractor of :mod:`..tools.digitization`
    it reads with, and implements the hooks of the *DOCUMENT TYPE HOOKS* section below:

    - :meth:`_digitization_request_refusal`: why Digitize is refused on a record (state,
      type), or ``None``;
    - :meth:`_digitization_apply`: fill the empty fields of the record with the values read;
    - :meth:`_digitization_found_labels`: the values listed in the chatter when it is done.

    Everything else is shared: the fields of the queue, the Digitize action, the
    scheduled job (one cron for all the models, oldest request first), the checks of the
    document and of who asked, the caps on untrusted documents, the charge (the service
    ``invoice_ocr``, ``credit_unit_price`` credits a document, held before the gateway
    reads it, captured once the record is committed as digitized, never for an unreadable
    document), the gateway (`iap.account._digitization_extract`), and the matching of
    partners, currencies and taxes.
    """

    _name = "iap.digitization.mixin"
    _description = "Document Digitization Mixin"

    # The extractor of `tools.digitization` that reads this model's documents.
    _digitization_document_type = "invoice"

    digitization_state = fields.Selection(
        DIGITIZATION_STATES,
        string="Digitization",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="To Do: queued for the scheduled digitization. Done: the document was read and "
        "the empty fields were filled. Failed: see the reason; nothing was charged.",
    )
    digitization_error_code = fields.Selection(DIGITIZATION_ERRORS, copy=False, readonly=True)
    digitization_error = fields.Char(string="Digitization Failure", copy=False, readonly=True)
    digitization_attachment_id = fields.Many2one(
        "ir.attachment",
        string="Digitized Document",
        copy=False,
        readonly=True,
        help="The PDF or image sent to the digitization service: always a document attached to this record.",
    )
    digitization_attempts = fields.Integer(
        copy=False,
        readonly=True,
        help="Readings started since the document was queued; counted before the document is read.",
    )
    digitization_queued_uid = fields.Many2one(
        "res.users",
        string="Digitization Requested By",
        copy=False,
        readonly=True,
        help="The document is read with this user's access rights: it must still be theirs to read.",
    )
    digitization_queued_date = fields.Datetime(string="Digitization Requested On", copy=False, readonly=True)
    digitization_started_date = fields.Datetime(copy=False, readonly=True)
    digitization_source = fields.Selection(DIGITIZATION_SOURCES, copy=False, readonly=True)
    digitization_can_request = fields.Boolean(compute="_compute_digitization_can_request")
    digitization_credits_url = fields.Char(compute="_compute_digitization_credits_url")

    # ------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------

    @api.depends(lambda self: self._digitization_request_depends())
    def _compute_digitization_can_request(self):
        for record in self:
            document = record.digitization_state not in ("to_do", "in_progress") and record._digitization_document()
            record.digitization_can_request = bool(
                document
                and record._digitization_request_refusal() is None
                and not record._digitization_already_read(document)
            )

    @api.depends("digitization_error_code")
    def _compute_digitization_credits_url(self):
        self.digitization_credits_url = False
        for record in self.filtered(lambda r: r.digitization_error_code == "no_credit"):
            try:
                record.digitization_credits_url = self.env["iap.account"].get_credits_url(DIGITIZATION_SERVICE)
            except UserError:
                record.digitization_credits_url = False

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("digitization_attachment_id")
    def _check_digitization_attachment_id(self):
        for record in self:
            if record.digitization_attachment_id and not record._digitization_is_own_attachment(
                record.digitization_attachment_id
            ):
                raise ValidationError(record._digitization_foreign_document_message())

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        """Override of `base` so that no user creates a record already queued for
        digitization, with a document or a requester of their choosing."""
        if not self.env.su:
            protected = DIGITIZATION_QUEUE_FIELDS | {"digitization_attachment_id"}
            if any(protected.intersection(vals) for vals in vals_list):
                raise AccessError(self._digitization_queue_write_message())
            defaults = {f"default_{name}" for name in protected}.intersection(self.env.context)
            if defaults:  # a context default of the queue is ignored, not applied
                self = self.with_context(**dict.fromkeys(defaults, False))  # noqa: PLW0642
        return super().create(vals_list)

    def write(self, vals):
        """Override of `base`: the digitization queue is written by this addon only (as
        superuser), and the digitized document of a record is always one of its own documents
        that the writer may read: otherwise the scheduled job, running as superuser, would
        read any attachment of the database into the record."""
        if not self.env.su:
            if DIGITIZATION_QUEUE_FIELDS.intersection(vals):
                raise AccessError(self._digitization_queue_write_message())
            if vals.get("digitization_attachment_id"):
                attachment = self.env["ir.attachment"].browse(vals["digitization_attachment_id"])
                for record in self:
                    record._digitization_check_attachment(attachment, self.env.user)
        return super().write(vals)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_digitize(self):
        """Queue the records' documents for digitization; the scheduled job reads them shortly.

        The queue is written as superuser: the caller's right to change the records and to
        read their documents is checked here, and the document's again when it is read.
        """
        self.check_access("write")
        for record in self:
            refusal = record._digitization_request_refusal()
            if refusal:
                raise UserError(refusal)
            if record.digitization_state in ("to_do", "in_progress"):
                raise UserError(
                    self.env._("%(record)s is already queued for digitization.", record=record.display_name)
                )
            document = record._digitization_document()
            if not document:
                raise UserError(record._digitization_no_document_message())
            if record._digitization_already_read(document):
                raise UserError(
                    self.env._(
                        "%(record)s was already digitized from this document: attach another one to digitize it.",
                        record=record.display_name,
                    )
                )
        self._digitization_enqueue()
        return True

    def action_digitization_buy_credits(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self.digitization_credits_url, "target": "new"}

    # ------------------------------------------------------------
    # DOCUMENT TYPE HOOKS
    # ------------------------------------------------------------

    @api.model
    def _digitization_request_depends(self):
        """The fields :meth:`_digitization_request_refusal` reads (for the Digitize button)."""
        return ["digitization_state", "digitization_attachment_id", "message_main_attachment_id"]

    def _digitization_request_refusal(self):
        """Why this record's document may not be digitized now (its type or state), or ``None``.

        :return: a translated message, or ``None`` (the default: any record may be digitized)
        """
        self.ensure_one()

    def _digitization_no_document_message(self):
        return self.env._("Attach a PDF or an image to %(record)s first.", record=self.display_name)

    def _digitization_unreadable_message(self):
        """The failure shown when the document was read but none of its essential fields."""
        return self.env._("No fields could be read from the document.")

    def _digitization_apply(self, values):
        """Fill the empty fields of this record with the values read; never overwrite.

        :param dict values: fields as returned by the extractor of the document type (dates
            may be ISO strings when an external gateway answered)
        :raise Exception: when the record cannot take them (the document is then not charged)
        """
        raise NotImplementedError(f"{self._name} must implement _digitization_apply")

    def _digitization_found_labels(self):
        """The values listed in the chatter once digitized: ``{key of the values: label}``."""
        return {}

    def _digitization_sender_email(self):
        """The address this record was emailed from, for the daily caps on emailed documents."""
        return False

    def _digitization_sender_domain(self, sender):
        """The domain of the records emailed by ``sender`` (a normalized address)."""
        return [("id", "=", 0)]

    # ------------------------------------------------------------
    # QUEUE
    # ------------------------------------------------------------

    def _digitization_enqueue(self, source="manual"):
        """Queue the records with their document, as the current user: the job reads each
        document with this user's access rights.

        :param str source: ``manual`` (Digitize), ``upload`` or ``email`` (automatic)
        """
        user = self.env.user
        now = fields.Datetime.now()
        for record in self:
            attachment = record._digitization_document()
            record._digitization_check_attachment(attachment, user)
            record.sudo().write(
                {
                    "digitization_state": "to_do",
                    "digitization_error": False,
                    "digitization_error_code": False,
                    "digitization_attachment_id": attachment.id,
                    "digitization_attempts": 0,
                    "digitization_queued_uid": user.id,
                    "digitization_queued_date": now,
                    "digitization_started_date": False,
                    "digitization_source": source,
                }
            )
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
                failed.append(record)
                _logger.warning(
                    "Digitization of %s was interrupted %s times: failed", record, record.digitization_attempts
                )
                record._digitization_set_failed(
                    "interrupted",
                    self.env._(
                        "The digitization was interrupted %(count)s times on this document (it may be too large or "
                        "malformed): it is not tried again.",
                        count=record.digitization_attempts,
                    ),
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
        locked = set()
        for model_name in {record._name for record in candidates}:
            records = self.env[model_name].browse([r.id for r in candidates if r._name == model_name])
            # A document another worker reads right now is left to it.
            locked.update((model_name, record.id) for record in records.try_lock_for_update())
        claimed = [record for record in candidates if (record._name, record.id) in locked]
        self._digitization_notify(failed)
        now = fields.Datetime.now()
        for record in claimed:
            record.sudo().write(
                {
                    "digitization_state": "in_progress",
                    "digitization_attempts": record.digitization_attempts + 1,
                    "digitization_started_date": now,
                }
            )
        return claimed

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

    def _digitize(self):
        """Read one record's document with the account's gateway and fill the record, under
        a credit hold.

        The document is checked first (see :meth:`_digitization_prepare`): what fails there
        is refused before any credit is held. The document is priced at
        `iap.service.credit_unit_price` credits, held before the gateway runs, captured when
        fields were extracted and applied, released otherwise.
        """
        self.ensure_one()
        account = self._digitization_account()
        document = self._digitization_prepare(account)
        if document is None:
            return
        price = account.service_id.credit_unit_price
        outcomes = {}

        def perform(records):
            results = []
            for record in records:
                outcome = account._digitization_extract(document)
                if outcome.get("success"):
                    try:
                        with self.env.cr.savepoint():
                            record._digitization_apply(outcome["fields"])
                    except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                        raise
                    except Exception as error:  # a record that cannot take the values is not charged
                        _logger.exception("Could not fill %s with the digitized fields", record)
                        outcome = {**outcome, "success": False, "error": str(error), "error_code": "engine"}
                outcomes[record.id] = outcome
                results.append(outcome)
            return results

        try:
            with self.env.cr.savepoint():
                result = self.env["iap.credit.dispatch"]._dispatch(
                    account,
                    [self],
                    lambda record: price,
                    perform,
                    self.env._("Digitization of %(record)s", record=self._digitization_ledger_name()),
                    reference=document["name"],
                    origin=self,
                    settle_after_commit=True,
                )
        except InsufficientCreditError as error:
            self._digitization_set_failed("no_credit", str(error.args[0] if error.args else error))
            return
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except Exception as error:
            _logger.warning("Digitization of %s failed", self, exc_info=True)
            self._digitization_set_failed(
                "engine", self.env._("The digitization engine failed: %(error)s", error=str(error) or repr(error))
            )
            return
        outcome = outcomes.get(self.id) or result.outcomes[0]
        if outcome.get("success"):
            self._digitization_set_done(outcome["fields"], result.credits_charged, account)
        else:
            self._digitization_set_failed(
                outcome.get("error_code") or "unreadable",
                outcome.get("error") or self._digitization_unreadable_message(),
            )

    def _digitization_prepare(self, account):
        """The document to read for this record, or ``None`` when the record was failed
        instead: no local account, document gone, no longer the record's own or readable by
        who queued it, or over the size, page or pixel caps. Nothing is held yet, so nothing
        is charged.

        :rtype: dict or None
        """
        if not account or account.credit_mode != "local":
            self._digitization_set_failed(
                "no_account",
                self.env._(
                    "Document digitization needs an IAP account with local credits for %(company)s.",
                    company=self.company_id.name,
                ),
            )
            return None
        attachment = self.digitization_attachment_id.sudo()
        if not attachment.exists():
            self._digitization_set_failed("unreadable", self.env._("The attached document is gone."))
            return None
        refusal = self._digitization_document_refusal(attachment)
        if refusal:
            self._digitization_set_failed("forbidden", refusal)
            return None
        limits = account._digitization_limits()
        try:
            if attachment.file_size > limits.max_bytes:  # before the content is even loaded
                raise document_text.DocumentLimitError("bytes", attachment.file_size, limits.max_bytes)
            document = self._digitization_document_payload(limits)
            document_text.check_document(document["data"], document["mimetype"], limits)
        except document_text.DocumentLimitError as error:
            self._digitization_set_failed("limit", account._digitization_limit_reason(error))
            return None
        except document_text.DocumentError as error:
            self._digitization_set_failed("unreadable", str(error))
            return None
        return document

    def _credits_hold_done(self, hold):
        """Hook of `iap.account._credits_settle`: the credits to capture for ``hold``.

        The record's digitization is the record of the work: its hold is captured once the
        record is committed as digitized, and only its latest hold (a later request of the
        same record made its own); any other is released.

        :return: the hold's credits, or None when its work is not recorded as done
        """
        self.ensure_one()
        if self.digitization_state != "done":
            return None
        latest = (
            self.env["iap.credit.transaction"]
            .sudo()
            .search(
                [("origin_ref", "=", f"{self._name},{self.id}"), ("kind", "=", "reservation")], limit=1, order="id desc"
            )
        )
        return hold.reserved_change if latest == hold else None

    def _digitization_ledger_name(self):
        """The record as its ledger row names it: a draft has no number of its own yet
        ("Draft Bill"), so its id tells which one."""
        name = self.display_name
        if "name" in self._fields and self.name in (False, "/"):
            name = f"{name} #{self.id}"
        return name

    def _digitization_set_done(self, values, credits, account):
        self.sudo().write({"digitization_state": "done", "digitization_error": False, "digitization_error_code": False})
        currency = self._digitization_find_currency(values.get("currency")) or self._digitization_default_currency()
        found = Markup("").join(
            Markup("<li>%s: %s</li>") % (label, account._digitization_display_value(values[key], currency))
            for key, label in self._digitization_found_labels().items()
            if values.get(key)
        )
        self.message_post(
            body=Markup("%s<ul>%s</ul>%s")
            % (
                self._digitization_done_message(),
                found,
                self.env._(
                    "%(credits)s spent from %(account)s.",
                    credits=account._format_credits(credits),
                    account=account.display_name,
                ),
            )
        )

    def _digitization_default_currency(self):
        """The currency of the amounts found when the document names none: the record's."""
        return self["currency_id"] if "currency_id" in self._fields else self.env.company.currency_id

    def _digitization_done_message(self):
        return self.env._("Document digitized: empty fields were filled.")

    def _digitization_set_failed(self, code, reason):
        self.sudo().write(
            {"digitization_state": "failed", "digitization_error_code": code, "digitization_error": reason}
        )
        self.message_post(
            body=self.env._("Document digitization failed, nothing was charged: %(reason)s", reason=reason)
        )

    # ------------------------------------------------------------
    # DOCUMENT AND ACCOUNT
    # ------------------------------------------------------------

    def _digitization_account(self):
        self.ensure_one()
        return self.env["iap.credit.dispatch"]._get_account(DIGITIZATION_SERVICE, self.company_id)

    def _digitization_document(self):
        """The attachment to read: the main one when it is a PDF or an image, else the latest
        such; always one attached to this record (chatter attachments are too)."""
        self.ensure_one()
        if self.digitization_attachment_id and self.digitization_state in ("to_do", "in_progress"):
            return self.digitization_attachment_id
        main = self.message_main_attachment_id
        if main and self._digitization_is_own_attachment(main) and document_text.is_supported(main.sudo().mimetype):
            return main
        if not self.id:
            return self.env["ir.attachment"]
        return self.env["ir.attachment"].search(
            [
                ("res_model", "=", self._name),
                ("res_id", "=", self.id),
                ("res_field", "=", False),
                ("mimetype", "in", sorted(document_text.SUPPORTED_MIMETYPES)),
            ],
            order="id desc",
            limit=1,
        )

    def _digitization_already_read(self, document):
        """Whether ``document`` is the one this record was digitized from: Digitize is then
        offered again only once another document is attached."""
        self.ensure_one()
        return self.digitization_state == "done" and self.digitization_attachment_id == document

    def _digitization_is_own_attachment(self, attachment):
        """Whether ``attachment`` is a document of this record (uploaded on it, or attached to
        one of its messages: both are linked to the record), not a field's storage."""
        self.ensure_one()
        attachment = attachment.sudo()
        return bool(
            self.id
            and len(attachment) == 1
            and attachment.exists()
            and attachment.res_model == self._name
            and attachment.res_id == self.id
            and not attachment.res_field
        )

    def _digitization_user_can_read(self, attachment, user):
        """Whether ``user`` may read this record and ``attachment``, in any of their companies."""
        self.ensure_one()
        if not user:
            return False
        env = self.with_user(user).with_context(allowed_company_ids=user.sudo().company_ids.ids).env
        try:
            self.with_env(env).check_access("read")
            attachment.with_env(env).check_access("read")
        except AccessError:
            return False
        return True

    def _digitization_check_attachment(self, attachment, user):
        """Refuse to digitize ``attachment`` on this record for ``user``.

        :raise ValidationError: when it is not a document of this record
        :raise AccessError: when ``user`` may not read it
        """
        self.ensure_one()
        if not self._digitization_is_own_attachment(attachment):
            raise ValidationError(self._digitization_foreign_document_message())
        if not self._digitization_user_can_read(attachment, user):
            raise AccessError(
                self.env._(
                    "%(user)s may not read the document attached to %(record)s: it cannot be digitized.",
                    user=user.name,
                    record=self.display_name,
                )
            )

    def _digitization_document_refusal(self, attachment):
        """Why the queued ``attachment`` may not be read now (it may have been moved to
        another record, or its requester lost access since it was queued), or ``None``."""
        self.ensure_one()
        if not self._digitization_is_own_attachment(attachment):
            return self._digitization_foreign_document_message()
        user = self.digitization_queued_uid
        if not self._digitization_user_can_read(attachment, user):
            return self.env._(
                "%(user)s, who asked for the digitization, may no longer read this document.",
                user=user.name or self.env._("Nobody"),
            )
        return None

    def _digitization_foreign_document_message(self):
        return self.env._(
            "Only a document attached to %(record)s can be digitized on it.",
            record=self.display_name or self._description,
        )

    def _digitization_queue_write_message(self):
        return self.env._(
            "The digitization of a document is only changed by its Digitize button and the scheduled digitization."
        )

    def _digitization_document_payload(self, limits):
        attachment = self.digitization_attachment_id.sudo()
        return {
            "data": attachment.raw,
            "mimetype": attachment.mimetype,
            "name": attachment.name,
            "document_type": self._digitization_document_type,
            # The company's own VAT numbers are printed on what it receives: never the issuer's.
            "exclude_vats": list(
                dict.fromkeys(vat for vat in (self.company_id.vat, self.company_id.partner_id.vat) if vat)
            ),
            "limits": limits,
        }

    # ------------------------------------------------------------
    # MATCHING: PARTNERS, CURRENCIES, TAXES
    # ------------------------------------------------------------

    def _digitization_find_tax(self, values, price_include=False):
        """The company's purchase tax of the printed rate, when exactly one matches.

        :param dict values: ``tax_rate``, or ``amount_untaxed`` and ``amount_tax``
        :param bool price_include: look among taxes included in the price (``None``: either)
        """
        untaxed, tax_amount = values.get("amount_untaxed"), values.get("amount_tax")
        rate = values.get("tax_rate")
        if rate is None and untaxed and tax_amount is not None:
            rate = round(tax_amount / untaxed * 100, 2)
        if rate is None or float_is_zero(rate, 2):
            return self.env["account.tax"]
        domain = [
            *self.env["account.tax"]._check_company_domain(self.company_id),
            ("type_tax_use", "=", "purchase"),
            ("amount_type", "=", "percent"),
        ]
        if price_include is not None:
            domain.append(("price_include", "=", price_include))
        taxes = self.env["account.tax"].search(domain)
        taxes = taxes.filtered(lambda t: float_compare(t.amount, rate, precision_digits=2) == 0)
        return taxes if len(taxes) == 1 else self.env["account.tax"]

    def _digitization_find_currency(self, code):
        if not code:
            return self.env["res.currency"]
        return self.env["res.currency"].search([("name", "=", code)], limit=1)

    def _digitization_find_vendor(self, values):
        """The issuer of the document (vendor, merchant): by VAT number, else by name; nobody
        when unsure.

        A partner is only chosen when exactly one commercial partner matches, and a name
        match is refused when that partner's VAT number differs from the printed one.

        :param dict values: ``vendor_vat``, ``vendor_name`` and ``text`` (the whole text read)
        """
        Partner = self.env["res.partner"]
        company_partners = self.env["res.company"].sudo().search([("partner_id", "!=", False)]).partner_id
        domain = [*Partner._check_company_domain(self.company_id), ("id", "not in", company_partners.ids)]
        vat = vat_numbers.compact_vat(values.get("vendor_vat"))
        Partner.flush_model(["vat", "name", "active", "is_company"])
        if vat:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM res_partner WHERE active AND vat IS NOT NULL "
                    "AND regexp_replace(upper(vat), '[^0-9A-Z]', '', 'g') IN %s",
                    (vat, re.sub(r"^[A-Z]+", "", vat)),
                )
            )
            partners = Partner.browse([row[0] for row in self.env.cr.fetchall()]).filtered_domain(domain)
            partners = partners.commercial_partner_id - company_partners
            if len(partners) == 1:
                return partners
            if len(partners) > 1:
                return Partner
        name = (values.get("vendor_name") or "").strip()
        if name:
            pattern = re.sub(r"([\\%_])", r"\\\1", name)  # a literal name, not a pattern
            partners = Partner.search([*domain, ("name", "=ilike", pattern)]).commercial_partner_id - company_partners
            if len(partners) == 1:
                return partners if self._digitization_vat_agrees(partners, vat) else Partner
            if len(partners) > 1:
                return Partner
        text = values.get("text")
        if text:
            partners = self._digitization_partners_named_in(text, domain) - company_partners
            if len(partners) == 1 and self._digitization_vat_agrees(partners, vat):
                return partners
        return Partner

    def _digitization_vat_agrees(self, partner, vat):
        return not vat or not partner.vat or vat_numbers.compact_vat(partner.vat) == vat

    def _digitization_partners_named_in(self, text, domain):
        """Companies whose full name is printed on the document, as a whole phrase."""
        lowered = " ".join(text.lower().split())
        haystack = document_values.normalize(lowered)
        self.env.cr.execute(
            SQL(
                "SELECT id, name FROM res_partner WHERE active AND is_company AND length(name) >= 4 "
                "AND (strpos(%s, lower(name)) > 0 OR strpos(%s, lower(name)) > 0)",
                lowered,
                haystack,
            )
        )
        named = {
            partner_id: " ".join(document_values.normalize(name).split()) for partner_id, name in self.env.cr.fetchall()
        }
        named = {
            partner_id: name
            for partner_id, name in named.items()
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", haystack)
        }
        # "Twin Trading" is printed inside "Twin Trading Unique": only the longest name counts.
        ids = [
            partner_id
            for partner_id, name in named.items()
            if not any(name != other and name in other for other in named.values())
        ]
        return self.env["res.partner"].browse(ids).filtered_domain(domain).commercial_partner_id
