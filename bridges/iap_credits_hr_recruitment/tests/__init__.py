# Part of iap_credits. See LICENSE file for full copyright and licensing details.
from . import test_resume_extract
from . import test_resume_digitization
from . import test_resume_security
