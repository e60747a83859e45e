# Part of iap_credits. See LICENSE file for full copyright and licensing details.
from . import test_resume_skills
