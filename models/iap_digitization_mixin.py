# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The digitization mixin: its fields, the Digitize action and the hooks of a document type.

The rest of the mixin, by concern (each file extends ``iap.digitization.mixin``):
``iap_digitization_queue`` (requests and the scheduled job), ``iap_digitization_reading``
(one document read under a credit hold), ``iap_digitization_state`` (the state machine),
``iap_digitization_document`` (which attachment, who may read it) and
``iap_digitization_matching`` (vendor, currency, taxes).
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

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
