# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode in Settings → Contacts → Odoo IAP."""

from odoo import fields, models

from .iap_account_server import DEFAULT_RATE_LIMIT, RATE_LIMIT_PARAM, SERVER_MODE_PARAM, TRIAL_CREDITS_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    iap_credits_server_mode = fields.Selection(
        [
            ("off", "Off"),
            ("closed", "Registered clients only"),
            ("open", "Any Odoo database"),
        ],
        string="IAP Server Mode",
        default="off",
        config_parameter=SERVER_MODE_PARAM,
        help="Let other Odoo databases use this one as their IAP server (SMS, partner autocomplete, "
        "snail mail, balances). Registered clients only: the client accounts an administrator "
        "registered (token and customer). Any Odoo database: an unknown token gets a client account "
        "with the trial credits.",
    )
    iap_credits_server_trial_credits = fields.Float(
        string="Trial Credits",
        digits="IAP Credits",
        config_parameter=TRIAL_CREDITS_PARAM,
        help="Credits granted to each client account created for an unknown database (open mode).",
    )
    iap_credits_server_rate_limit = fields.Integer(
        string="Calls per Minute",
        default=DEFAULT_RATE_LIMIT,
        config_parameter=RATE_LIMIT_PARAM,
        help="At most this many calls a minute per client account token, in each worker process; 0 for no limit.",
    )
