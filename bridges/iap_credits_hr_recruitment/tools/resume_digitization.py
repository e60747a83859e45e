# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The ``resume`` document type of digitization: its extractor, registered with the
extractors of `iap_credits` (see ``iap_credits.tools.digitization``)."""

from odoo.addons.iap_credits.tools import digitization

from . import resume_extract

DOCUMENT_TYPE = "resume"


@digitization.register_extractor(DOCUMENT_TYPE, essential_fields=("email", "phone", "linkedin"))
def extract_resume(text, region=None, **_context):
    """Résumés: the candidate's contact fields (see :mod:`.resume_extract`). A CV without
    any e-mail address, phone number or LinkedIn profile read is unreadable: not charged."""
    return resume_extract.extract_resume(text, region=region)
