# Part of iap_credits. See LICENSE file for full copyright and licensing details.
from . import sms_numbers
from . import sms_segments
from . import digitization
from . import document_text
from . import invoice_extract
from . import invoice_labels
from . import document_values
from . import vat_numbers
from . import sql_arrays
