# Part of iap_credits. See LICENSE file for full copyright and licensing details.
from . import iap_account
from . import iap_account_alert
from . import iap_credit_alert
from . import iap_credit_dispatch
from . import iap_credit_pack
from . import iap_credit_transaction
from . import iap_service
from . import payment_transaction
