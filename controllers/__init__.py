# Part of iap_credits. See LICENSE file for full copyright and licensing details.
# server first: models/res_config_settings.py imports server.protocol, and server.credit
# extends credit_purchase, which imports models (a cycle when credit_purchase comes first).
from . import server
from . import credit_purchase
from . import sms
from . import snailmail
