# Part of iap_credits. See LICENSE file for full copyright and licensing details.
from . import credit_purchase
from . import sms
from . import snailmail
from . import server
