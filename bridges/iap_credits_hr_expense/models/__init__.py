# Part of iap_credits. See LICENSE file for full copyright and licensing details.
from . import hr_expense
from . import iap_account
