# Part of iap_credits. See LICENSE file for full copyright and licensing details.
from . import iap_credit_adjustment
from . import sms_account_code
from . import sms_account_phone
from . import sms_account_sender
from . import sms_composer
from . import account_move_send_batch_wizard
