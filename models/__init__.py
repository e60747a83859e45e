# Part of iap_credits. See LICENSE file for full copyright and licensing details.
from . import iap_account
from . import iap_account_alert
from . import iap_account_sms
from . import iap_credit_alert
from . import iap_credit_dispatch
from . import iap_credit_pack
from . import iap_credit_transaction
from . import iap_service
from . import iap_sms_gateway
from . import iap_sms_gateway_http
from . import iap_sms_gateway_twilio
from . import iap_sms_message
from . import iap_sms_rate
from . import payment_transaction
from . import res_company
from . import res_partner
from . import sms_sms
