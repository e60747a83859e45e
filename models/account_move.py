# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging
import re
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, email_normalize, float_compare, float_is_zero

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from ..tools import document_text, invoice_extract

_logger = logging.getLogger(__name__)

DIGITIZATION_SERVICE = "invoice_ocr"
DIGITIZABLE_MOVE_TYPES = ("in_invoice", "in_refund")
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
# A bill whose reading was started this many times without an outcome (the worker was
# killed by a time or memory limit mid-OCR) is failed instead of tried again forever.
DIGITIZATION_MAX_ATTEMPTS = 2
# A bill left "in progress" by a dead worker is taken again this many seconds after its
# own time cap ran out.
DIGITIZATION_LEASE_GRACE = 300
# The queue: only the Digitize action and the scheduled job write these (as superuser),
# never a user directly; the document is checked against the bill when it is set.
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
# Bills received by email and digitized automatically, per sender and in all, in 24 hours
# (system parameters an administrator sets; 0 digitizes no emailed bill automatically).
PARAM_EMAIL_LIMIT_PER_SENDER = "iap_credits.digitization_email_daily_limit_per_sender"
PARAM_EMAIL_LIMIT = "iap_credits.digitization_email_daily_limit"
DEFAULT_EMAIL_LIMIT_PER_SENDER = 20
DEFAULT_EMAIL_LIMIT = 200


class AccountMove(models.Model):
    _inherit = "account.move"

    digitization_state = fields.Selection(
        DIGITIZATION_STATES,
        string="Digitization",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="To Do: queued for the scheduled digitization. Done: the document was read and "
        "the empty fields of the bill were filled. Failed: see the reason; nothing was charged.",
    )
    digitization_error_code = fields.Selection(DIGITIZATION_ERRORS, copy=False, readonly=True)
    digitization_error = fields.Char(string="Digitization Failure", copy=False, readonly=True)
    digitization_attachment_id = fields.Many2one(
        "ir.attachment",
        string="Digitized Document",
        copy=False,
        readonly=True,
        help="The PDF or image sent to the digitization service: always a document attached to this bill.",
    )
    digitization_attempts = fields.Integer(
        copy=False,
        readonly=True,
        help="Readings started since the bill was queued; counted before the document is read.",
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

    @api.depends("move_type", "state", "digitization_state", "message_main_attachment_id")
    def _compute_digitization_can_request(self):
        for move in self:
            move.digitization_can_request = bool(
                move.move_type in DIGITIZABLE_MOVE_TYPES
                and move.state == "draft"
                and move.digitization_state not in ("to_do", "in_progress")
                and move._digitization_document()
            )

    @api.depends("digitization_error_code")
    def _compute_digitization_credits_url(self):
        self.digitization_credits_url = False
        for move in self.filtered(lambda m: m.digitization_error_code == "no_credit"):
            try:
                move.digitization_credits_url = self.env["iap.account"].get_credits_url(DIGITIZATION_SERVICE)
            except UserError:
                move.digitization_credits_url = False

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("digitization_attachment_id")
    def _check_digitization_attachment_id(self):
        for move in self:
            if move.digitization_attachment_id and not move._digitization_is_own_attachment(
                move.digitization_attachment_id
            ):
                raise ValidationError(move._digitization_foreign_document_message())

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        """Override of `account` so that no user creates a bill already queued for
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
        """Override of `account`: the digitization queue is written by this addon only (as
        superuser), and the digitized document of a bill is always one of its own documents
        that the writer may read: otherwise the scheduled job, running as superuser, would
        read any attachment of the database into the bill."""
        if not self.env.su:
            if DIGITIZATION_QUEUE_FIELDS.intersection(vals):
                raise AccessError(self._digitization_queue_write_message())
            if vals.get("digitization_attachment_id"):
                attachment = self.env["ir.attachment"].browse(vals["digitization_attachment_id"])
                for move in self:
                    move._digitization_check_attachment(attachment, self.env.user)
        return super().write(vals)

    def _extend_with_attachments(self, files_data, new=False):
        """Override of `account` to queue the digitization of bills created by upload or
        email when the digitization account asks for it and no e-invoice was decoded.

        Bills received by email are only queued within the daily caps of their sender and
        of all senders: a flood of emailed PDFs cannot spend the credits.
        """
        res = super()._extend_with_attachments(files_data, new=new)
        if new and self.move_type in DIGITIZABLE_MOVE_TYPES and self.state == "draft" and not self.invoice_line_ids:
            account = self._digitization_account()
            if account and account.digitization_auto and self._digitization_document():
                if not self.env.context.get("from_alias"):
                    self._digitization_enqueue(source="upload")
                elif refusal := self._digitization_email_refusal():
                    self.message_post(body=refusal)
                else:
                    self._digitization_enqueue(source="email")
        return res

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_digitize(self):
        """Queue the bills for digitization; the scheduled job reads them shortly.

        The queue is written as superuser: the caller's right to change the bills and to
        read their documents is checked here, and the document's again when it is read.
        """
        self.check_access("write")
        for move in self:
            if move.move_type not in DIGITIZABLE_MOVE_TYPES:
                raise UserError(
                    self.env._("Only vendor bills and refunds can be digitized (%(move)s).", move=move.name)
                )
            if move.state != "draft":
                raise UserError(self.env._("Only draft bills can be digitized (%(move)s).", move=move.name))
            if move.digitization_state in ("to_do", "in_progress"):
                raise UserError(self.env._("%(move)s is already queued for digitization.", move=move.name))
            if not move._digitization_document():
                raise UserError(
                    self.env._("Attach a PDF or an image of the bill to %(move)s first.", move=move.display_name)
                )
        self._digitization_enqueue()
        return True

    def action_digitization_buy_credits(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self.digitization_credits_url, "target": "new"}

    # ------------------------------------------------------------
    # QUEUE
    # ------------------------------------------------------------

    def _digitization_enqueue(self, source="manual"):
        """Queue the bills with their document, as the current user: the job reads each
        document with this user's access rights.

        :param str source: ``manual`` (Digitize), ``upload`` or ``email`` (automatic)
        """
        user = self.env.user
        now = fields.Datetime.now()
        for move in self:
            attachment = move._digitization_document()
            move._digitization_check_attachment(attachment, user)
            move.sudo().write(
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
            move.message_post(body=self.env._("Sent to document digitization."))
        self.env.ref("iap_credits.ir_cron_digitize_documents")._trigger()

    def _digitization_email_refusal(self):
        """Why this emailed bill is not digitized automatically, or ``None`` when it is.

        :return: a translated chatter message when a daily cap is reached
        """
        self.ensure_one()
        get_limit = self.env["iap.account"]._digitization_param
        per_sender = get_limit(PARAM_EMAIL_LIMIT_PER_SENDER, DEFAULT_EMAIL_LIMIT_PER_SENDER, minimum=0)
        overall = get_limit(PARAM_EMAIL_LIMIT, DEFAULT_EMAIL_LIMIT, minimum=0)
        sender = email_normalize(self.invoice_source_email) or (self.invoice_source_email or "").strip().lower()
        Move = self.env["account.move"].sudo()
        domain = [
            ("digitization_source", "=", "email"),
            ("digitization_queued_date", ">=", fields.Datetime.now() - timedelta(days=1)),
            ("id", "!=", self.id),
        ]
        if sender:
            pattern = re.sub(r"([\\%_])", r"\\\1", sender)  # a literal address, not a pattern
            sent = Move.search_count([*domain, ("invoice_source_email", "=ilike", pattern)], limit=per_sender + 1)
            if sent >= per_sender:
                return self.env._(
                    "Not digitized automatically: %(sender)s already sent %(count)s bills to digitize in the "
                    "last 24 hours, the most your administrator allows. Click Digitize to read this one.",
                    sender=sender,
                    count=sent,
                )
        received = Move.search_count(domain, limit=overall + 1)
        if received >= overall:
            return self.env._(
                "Not digitized automatically: %(count)s emailed bills were already sent to digitization in the "
                "last 24 hours, the most your administrator allows. Click Digitize to read this one.",
                count=received,
            )
        return None

    @api.model
    def _cron_digitize_documents(self, batch_size=10):
        """Scheduled action: digitize the queued bills, a committed batch at a time.

        The attempt on each bill is committed before its document is read: a worker
        killed mid-OCR (time or memory limit) has still counted it, so that bill is taken
        after the others next time, and failed at its second interruption instead of
        blocking the queue forever. The credits of each bill are held and captured in the
        ledger's own short transactions (no lock is held while the OCR engine works), so a
        commit carries several bills; each commit records their outcome and lets the job
        stop and resume on time.
        """
        Cron = self.env["ir.cron"]
        while True:
            moves = self._digitization_claim(limit=batch_size)
            remaining = self.search_count(self._digitization_queue_domain())
            if not moves:
                Cron._commit_progress(remaining=0)
                return
            Cron._commit_progress(remaining=remaining + len(moves))  # the attempts are counted
            moves._digitize_claimed()
            if not Cron._commit_progress(len(moves), remaining=remaining):
                return

    @api.model
    def _digitize_queued(self, limit=5):
        """Digitize up to ``limit`` queued bills, in one transaction (the tests' entry
        point; the scheduled job commits the claim first, see :meth:`_cron_digitize_documents`).

        :return: how many bills were processed
        """
        moves = self._digitization_claim(limit=limit)
        moves._digitize_claimed()
        return len(moves)

    @api.model
    def _digitization_queue_domain(self):
        """The bills waiting: queued, or left in progress by a worker that died."""
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
    def _digitization_claim(self, limit):
        """Take up to ``limit`` bills off the queue and count an attempt on each.

        Bills already started :data:`DIGITIZATION_MAX_ATTEMPTS` times are failed (nothing
        was charged: a killed worker's hold was rolled back with it). The others come by
        attempts, then age: a bill that was interrupted goes after the fresh ones.

        :return: the claimed bills, locked, ``in_progress``
        """
        domain = self._digitization_queue_domain()
        exhausted = self.search([*domain, ("digitization_attempts", ">=", DIGITIZATION_MAX_ATTEMPTS)])
        for move in exhausted.try_lock_for_update():
            _logger.warning("Digitization of %s was interrupted %s times: failed", move, move.digitization_attempts)
            move._digitization_set_failed(
                "interrupted",
                self.env._(
                    "The digitization was interrupted %(count)s times on this document (it may be too large or "
                    "malformed): it is not tried again.",
                    count=move.digitization_attempts,
                ),
            )
        moves = self.search(
            [*domain, ("digitization_attempts", "<", DIGITIZATION_MAX_ATTEMPTS)],
            order="digitization_attempts, digitization_queued_date, id",
            limit=limit,
        ).try_lock_for_update()  # a bill another worker reads is left to it
        now = fields.Datetime.now()
        for move in moves:
            move.sudo().write(
                {
                    "digitization_state": "in_progress",
                    "digitization_attempts": move.digitization_attempts + 1,
                    "digitization_started_date": now,
                }
            )
        return moves

    def _digitize_claimed(self):
        """Digitize the claimed bills, each on its own: the failure of one (unreadable,
        over a cap, engine crash, no credits) is recorded on it and never stops the others."""
        for move in self:
            try:
                with self.env.cr.savepoint():
                    # Read in the language of who asked: the messages and the failure shown on the bill.
                    move.with_context(lang=move.digitization_queued_uid.lang or self.env.lang)._digitize()
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                # Not the bill's fault: the whole batch is rolled back and retried, like stock.
                raise
            except Exception as error:  # never let one bill block the queue
                _logger.exception("Digitization of %s crashed", move)
                move._digitization_set_failed(
                    "engine", self.env._("The digitization crashed: %(error)s", error=str(error) or repr(error))
                )

    def _digitize(self):
        """Read one bill with the account's gateway and fill it, under a credit hold.

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

        def perform(moves):
            results = []
            for move in moves:
                outcome = account._digitization_extract(document)
                if outcome.get("success"):
                    try:
                        with self.env.cr.savepoint():
                            move._digitization_apply(outcome["fields"])
                    except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                        raise
                    except Exception as error:  # a bill that cannot take the values is not charged
                        _logger.exception("Could not fill %s with the digitized fields", move)
                        outcome = {**outcome, "success": False, "error": str(error), "error_code": "engine"}
                outcomes[move.id] = outcome
                results.append(outcome)
            return results

        try:
            with self.env.cr.savepoint():
                result = self.env["iap.credit.dispatch"]._dispatch(
                    account,
                    [self],
                    lambda move: price,
                    perform,
                    self.env._(
                        "Digitization of %(bill)s",
                        bill=self.name if self.name not in (False, "/") else f"{self.display_name} #{self.id}",
                    ),
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
                outcome.get("error") or self.env._("No bill fields could be read from the document."),
            )

    def _digitization_prepare(self, account):
        """The document to read for this bill, or ``None`` when the bill was failed instead:
        no local account, document gone, no longer the bill's own or readable by who queued
        it, or over the size, page or pixel caps. Nothing is held yet, so nothing is charged.

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

        The bill's digitization is the record of the work: its hold is captured once the
        bill is committed as digitized, and only the bill's latest hold (a later request
        of the same bill made its own); any other is released.

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

    def _digitization_set_done(self, values, credits, account):
        self.sudo().write({"digitization_state": "done", "digitization_error": False, "digitization_error_code": False})
        labels = {
            "vendor_vat": self.env._("Vendor VAT"),
            "invoice_number": self.env._("Bill number"),
            "invoice_date": self.env._("Bill date"),
            "due_date": self.env._("Due date"),
            "currency": self.env._("Currency"),
            "amount_untaxed": self.env._("Untaxed amount"),
            "amount_tax": self.env._("Tax"),
            "amount_total": self.env._("Total"),
        }
        currency = self._digitization_find_currency(values.get("currency")) or self.currency_id
        found = Markup("").join(
            Markup("<li>%s: %s</li>") % (label, account._digitization_display_value(values[key], currency))
            for key, label in labels.items()
            if values.get(key)
        )
        self.message_post(
            body=Markup("%s<ul>%s</ul>%s")
            % (
                self.env._("Document digitized: empty fields of the bill were filled."),
                found,
                self.env._(
                    "%(credits)s spent from %(account)s.",
                    credits=account._format_credits(credits),
                    account=account.display_name,
                ),
            )
        )

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
        such; always one attached to this bill (chatter attachments are too)."""
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

    def _digitization_is_own_attachment(self, attachment):
        """Whether ``attachment`` is a document of this bill (uploaded on it, or attached to
        one of its messages: both are linked to the bill), not a field's storage."""
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
        """Whether ``user`` may read this bill and ``attachment``, in any of their companies."""
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
        """Refuse to digitize ``attachment`` on this bill for ``user``.

        :raise ValidationError: when it is not a document of this bill
        :raise AccessError: when ``user`` may not read it
        """
        self.ensure_one()
        if not self._digitization_is_own_attachment(attachment):
            raise ValidationError(self._digitization_foreign_document_message())
        if not self._digitization_user_can_read(attachment, user):
            raise AccessError(
                self.env._(
                    "%(user)s may not read the document attached to %(bill)s: it cannot be digitized.",
                    user=user.name,
                    bill=self.display_name,
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
            "Only a document attached to %(bill)s can be digitized on it.", bill=self.display_name or self._description
        )

    def _digitization_queue_write_message(self):
        return self.env._(
            "The digitization of a bill is only changed by its Digitize button and the scheduled digitization."
        )

    def _digitization_document_payload(self, limits):
        attachment = self.digitization_attachment_id.sudo()
        return {
            "data": attachment.raw,
            "mimetype": attachment.mimetype,
            "name": attachment.name,
            "document_type": "invoice",
            "exclude_vats": list(
                dict.fromkeys(vat for vat in (self.company_id.vat, self.company_id.partner_id.vat) if vat)
            ),
            "limits": limits,
        }

    # ------------------------------------------------------------
    # FILLING THE BILL
    # ------------------------------------------------------------

    def _digitization_apply(self, values):
        """Fill the empty fields of the draft bill with ``values``; never overwrite.

        :param dict values: fields as returned by an extractor (dates may be ISO strings)
        """
        self.ensure_one()
        vals = {}
        if not self.partner_id:
            partner = self._digitization_find_vendor(values)
            if partner:
                vals["partner_id"] = partner.id
        if not self.ref and values.get("invoice_number"):
            vals["ref"] = values["invoice_number"]
        invoice_date = invoice_extract.to_date(values.get("invoice_date")) if values.get("invoice_date") else None
        due_date = invoice_extract.to_date(values.get("due_date")) if values.get("due_date") else None
        if not self.invoice_date and invoice_date:
            vals["invoice_date"] = invoice_date
        currency = self._digitization_find_currency(values.get("currency"))
        if currency and not self.invoice_line_ids and currency != self.currency_id:
            vals["currency_id"] = currency.id
        if vals:
            self.write(vals)
        if due_date and not self.invoice_payment_term_id and (not self.invoice_date_due or "invoice_date" in vals):
            self.write({"invoice_date_due": due_date})
        if not self.invoice_line_ids:
            self.write({"invoice_line_ids": [fields.Command.create(line) for line in self._digitization_lines(values)]})

    def _digitization_lines(self, values):
        """Invoice lines for the extracted values: the table rows when they add up, else one line."""
        tax = self._digitization_find_tax(values)
        total, untaxed = values.get("amount_total"), values.get("amount_untaxed")
        rows = values.get("lines") or []
        taxes = [fields.Command.set(tax.ids)]  # never the account's default taxes: the bill says which
        if rows and untaxed is not None and float_is_zero(sum(row["amount"] for row in rows) - untaxed, 2):
            return [
                {
                    "name": row.get("description") or "/",
                    "quantity": row["quantity"],
                    "price_unit": row["price_unit"],
                    "tax_ids": taxes,
                }
                for row in rows
            ]
        amount = untaxed if tax and untaxed is not None else (total if total is not None else untaxed)
        if amount is None:
            return []
        return [
            {
                "name": values.get("invoice_number") or self.env._("Digitized bill"),
                "quantity": 1,
                "price_unit": amount,
                "tax_ids": taxes if tax and amount == untaxed else [fields.Command.clear()],
            }
        ]

    def _digitization_find_tax(self, values):
        """The company's purchase tax of the printed rate, when exactly one matches."""
        untaxed, tax_amount = values.get("amount_untaxed"), values.get("amount_tax")
        rate = values.get("tax_rate")
        if rate is None and untaxed and tax_amount is not None:
            rate = round(tax_amount / untaxed * 100, 2)
        if rate is None or float_is_zero(rate, 2):
            return self.env["account.tax"]
        taxes = self.env["account.tax"].search(
            [
                *self.env["account.tax"]._check_company_domain(self.company_id),
                ("type_tax_use", "=", "purchase"),
                ("amount_type", "=", "percent"),
                ("price_include", "=", False),
            ]
        )
        taxes = taxes.filtered(lambda t: float_compare(t.amount, rate, precision_digits=2) == 0)
        return taxes if len(taxes) == 1 else self.env["account.tax"]

    def _digitization_find_currency(self, code):
        if not code:
            return self.env["res.currency"]
        return self.env["res.currency"].search([("name", "=", code)], limit=1)

    def _digitization_find_vendor(self, values):
        """The vendor of the bill: by VAT number, else by name; nobody when unsure.

        A partner is only chosen when exactly one commercial partner matches, and a name
        match is refused when that partner's VAT number differs from the printed one.
        """
        Partner = self.env["res.partner"]
        company_partners = self.env["res.company"].sudo().search([("partner_id", "!=", False)]).partner_id
        domain = [*Partner._check_company_domain(self.company_id), ("id", "not in", company_partners.ids)]
        vat = invoice_extract.compact_vat(values.get("vendor_vat"))
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
        return not vat or not partner.vat or invoice_extract.compact_vat(partner.vat) == vat

    def _digitization_partners_named_in(self, text, domain):
        """Companies whose full name is printed on the document, as a whole phrase."""
        lowered = " ".join(text.lower().split())
        haystack = invoice_extract.normalize(lowered)
        self.env.cr.execute(
            SQL(
                "SELECT id, name FROM res_partner WHERE active AND is_company AND length(name) >= 4 "
                "AND (strpos(%s, lower(name)) > 0 OR strpos(%s, lower(name)) > 0)",
                lowered,
                haystack,
            )
        )
        named = {
            partner_id: " ".join(invoice_extract.normalize(name).split()) for partner_id, name in self.env.cr.fetchall()
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
