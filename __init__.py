# Part of iap_credits. See LICENSE file for full copyright and licensing details.
from . import controllers, models, wizard
from .models.iap_account import DEFAULT_MODE_PARAM


def _pre_init_iap_credits(env):
    """Choose the credit mode of accounts that exist before this addon.

    A database that already holds IAP accounts with tokens uses Odoo's remote IAP:
    installing the addon must change nothing for it until an administrator switches
    an account. A new database starts with local credits. The choice is stored as the
    default of `iap.account.credit_mode`, which the ORM also applies to the rows that
    exist when the column is created.
    """
    env.cr.execute("SELECT 1 FROM iap_account WHERE account_token IS NOT NULL LIMIT 1")
    mode = "odoo" if env.cr.rowcount else "local"
    env["ir.config_parameter"].sudo().set_param(DEFAULT_MODE_PARAM, mode)
