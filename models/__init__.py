# Part of iap_credits. See LICENSE file for full copyright and licensing details.
from . import iap_account
from . import iap_credit_dispatch
from . import iap_credit_transaction
from . import iap_service

# Document digitization
from . import account_move
from . import iap_account_digitization
from . import iap_account_digitization_http
