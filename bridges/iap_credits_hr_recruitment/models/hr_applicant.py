# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging

import phonenumbers

from odoo import api, models
from odoo.tools import email_normalize

from odoo.addons.iap_credits.tools import document_text

from ..tools import resume_digitization, resume_extract

_logger = logging.getLogger(__name__)

# The longest name taken from a document (a gateway may answer anything).
MAX_NAME_LENGTH = 128
# The Tesseract languages CVs are read with (a system parameter an administrator sets):
# candidates write in more languages than the bills a company receives, Chinese among
# them, and each language pack more makes OCR slower, so CVs have their own list. Not a
# field of `iap.account`: a column added to that table by this addon's installation would
# lock the accounts until the installation commits, and the demo CV's credits, moved in
# the ledger's own transaction, would wait for it forever.
PARAM_RESUME_LANGUAGES = "iap_credits.digitization_resume_languages"
DEFAULT_RESUME_LANGUAGES = "eng+fra+deu+chi_sim"


class HrApplicant(models.Model):
    """Applicants: the ``resume`` document type of the digitization queue (see
    `iap.digitization.mixin`). *Digitize CV* reads the applicant's CV and fills its empty
    contact fields: name, e-mail, phone (E.164) and LinkedIn profile."""

    _name = "hr.applicant"
    _inherit = ["hr.applicant", "iap.digitization.mixin"]
    _digitization_document_type = resume_digitization.DOCUMENT_TYPE

    # ------------------------------------------------------------
    # DOCUMENT TYPE HOOKS (see iap.digitization.mixin)
    # ------------------------------------------------------------

    def _digitization_no_document_message(self):
        return self.env._("Attach the CV of %(applicant)s (a PDF or an image) first.", applicant=self.display_name)

    def _digitization_unreadable_message(self):
        return self.env._("No e-mail address, phone number or LinkedIn profile could be read from the CV.")

    def _digitization_done_message(self):
        return self.env._("CV digitized: the empty fields of the applicant were filled.")

    def _digitization_found_labels(self):
        return {
            "name": self.env._("Name"),
            "email": self.env._("Email"),
            "phone": self.env._("Phone"),
            "linkedin": self.env._("LinkedIn Profile"),
        }

    def _digitization_sender_email(self):
        return self.email_from

    def _digitization_document_payload(self, limits):
        """Override of `iap_credits`: CVs are read in the CV languages of the account, with
        Tesseract's automatic layout analysis (side columns, a large name at the top), and
        their national phone numbers in the company's country."""
        document = super()._digitization_document_payload(limits)
        document.update(
            languages=self._digitization_resume_languages(),
            psm=document_text.PSM_AUTO,
            context={"region": self._digitization_region()},
            exclude_vats=[],
        )
        return document

    @api.model
    def _digitization_resume_languages(self):
        """The Tesseract languages CVs are read with: :data:`PARAM_RESUME_LANGUAGES`, or
        :data:`DEFAULT_RESUME_LANGUAGES` when unset or not Tesseract codes joined by '+'."""
        value = (self.env["ir.config_parameter"].sudo().get_param(PARAM_RESUME_LANGUAGES) or "").strip()
        if value and all(part.replace("_", "").isalnum() for part in value.split("+")):
            return value
        if value:
            _logger.warning("System parameter %s=%r is not Tesseract languages: using %s", PARAM_RESUME_LANGUAGES,
                            value, DEFAULT_RESUME_LANGUAGES)  # fmt: skip
        return DEFAULT_RESUME_LANGUAGES

    def _digitization_region(self):
        """The country national phone numbers of the CV are read in: the company's."""
        company = self.company_id or self.env.company
        return company.country_id.code or None

    # ------------------------------------------------------------
    # FILLING THE APPLICANT
    # ------------------------------------------------------------

    def _digitization_apply(self, values):
        """Fill the empty contact fields of the applicant with ``values``; never overwrite.

        The values are checked again here, whichever gateway read them: an e-mail address
        must be valid, a phone number valid for its country (stored in E.164), a LinkedIn
        address a profile's. The e-mail address makes the applicant's contact (stock
        behaviour), which needs a name: without any, the address is left out.

        :param dict values: ``name``, ``email``, ``phone``, ``linkedin`` (see
            ``tools.resume_extract.extract_resume``)
        """
        self.ensure_one()
        contact = self._digitization_contact_values(values)
        vals = {}
        if not self.partner_name and contact.get("name"):
            vals["partner_name"] = contact["name"]
        if not self.email_from and contact.get("email") and (self.partner_name or vals.get("partner_name")):
            vals["email_from"] = contact["email"]
        if not self.partner_phone and contact.get("phone"):
            vals["partner_phone"] = contact["phone"]
        if not self.linkedin_profile and contact.get("linkedin"):
            vals["linkedin_profile"] = contact["linkedin"]
        if vals:
            self.write(vals)

    def _digitization_contact_values(self, values):
        """The contact fields of ``values`` that are what they claim to be, normalized."""

        def text(key):
            value = values.get(key)
            return " ".join(value.split()) if isinstance(value, str) else ""

        contact = {}
        name = text("name")
        if name and len(name) <= MAX_NAME_LENGTH:
            contact["name"] = name
        email = email_normalize(text("email"))
        if email:
            contact["email"] = email
        phone = self._digitization_phone(text("phone"))
        if phone:
            contact["phone"] = phone
        linkedin = resume_extract.find_linkedin(text("linkedin"))
        if linkedin:
            contact["linkedin"] = linkedin
        return contact

    def _digitization_phone(self, number):
        """``number`` in E.164 when it is a valid phone number, else None."""
        if not number or len(number) > 40:
            return None
        try:
            parsed = phonenumbers.parse(number, self._digitization_region())
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(parsed):
            return None
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
