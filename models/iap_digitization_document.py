# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Which document of a record is digitized, and who may have it read."""

from odoo import models
from odoo.exceptions import AccessError, ValidationError

from ..tools import document_text


class IapDigitizationDocument(models.AbstractModel):
    """The document of a record: always one of its own, readable by who asked."""

    _inherit = "iap.digitization.mixin"

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
