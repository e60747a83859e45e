# Part of iap_credits. See LICENSE file for full copyright and licensing details.
from . import hr_applicant
