# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: the routes of the stock IAP client protocol, so that unmodified Odoo
databases use this database as their IAP server (readme/server_mode.md)."""

from . import protocol
from . import accounts
from . import autocomplete
from . import credit
from . import sms
from . import snailmail
