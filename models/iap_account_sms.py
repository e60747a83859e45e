# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, ormcache

from .iap_account import DEFAULT_MODE_PARAM


class IapAccount(models.Model):
    """SMS settings of a local credit account: the gateway that delivers its SMS."""

    _inherit = "iap.account"

    sms_gateway_id = fields.Many2one(
        "iap.sms.gateway",
        string="SMS Gateway",
        ondelete="restrict",
        tracking=True,
        help="How the SMS paid with this account's local credits are delivered.",
    )
    sms_message_count = fields.Integer(
        compute="_compute_sms_message_count", string="SMS Sent", help="SMS accepted by the gateway (failures left out)."
    )

    def init(self):
        """Give ``credit_mode`` a database default too.

        Stock code that runs while this addon's models are not loaded (the data of a
        dependency being updated, that dependency's at_install tests) creates IAP
        accounts without the column: they get the mode new accounts get anyway.
        """
        res = super().init()
        mode = self.env["ir.config_parameter"].sudo().get_param(DEFAULT_MODE_PARAM, "local")
        self.env.cr.execute(SQL("ALTER TABLE iap_account ALTER COLUMN credit_mode SET DEFAULT %s", mode))
        return res

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        if any(account.credit_mode == "local" for account in accounts):
            self.env.registry.clear_cache()  # `_iap_credits_sms_may_be_local`
        return accounts

    def write(self, vals):
        if {"credit_mode", "service_id"} & set(vals):
            self.env.registry.clear_cache()  # `_iap_credits_sms_may_be_local`
        return super().write(vals)

    def unlink(self):
        if any(account.credit_mode == "local" for account in self):
            self.env.registry.clear_cache()  # `_iap_credits_sms_may_be_local`
        return super().unlink()

    @api.model
    @ormcache()
    def _iap_credits_sms_may_be_local(self):
        """Whether any SMS of this database may be paid with local credits: an SMS account is
        in local mode, or the accounts that `get` creates start in local mode.

        When none may, `sms.sms._split_by_api` leaves every SMS to the stock path without
        looking up each company's account, so that a database using Odoo's IAP sends SMS with
        the stock queries. Cached (stock `ormcache`, dropped on rollback): cleared when a local
        account is created or deleted, when an account changes mode or service, and by
        `ir.config_parameter` when the default mode changes.
        """
        if self.env["ir.config_parameter"].sudo().get_param(DEFAULT_MODE_PARAM, "local") == "local":
            return True
        return bool(self.sudo().search_count([("service_name", "=", "sms"), ("credit_mode", "=", "local")], limit=1))

    @api.model
    def _get_routing_fields(self):
        """Override of `iap_credits`: the gateway decides how the account's SMS are delivered."""
        return super()._get_routing_fields() | {"sms_gateway_id"}

    @api.model
    def _get_local_engine_fields(self):
        """Override of `iap_credits`: SMS are sent through the account's SMS gateway."""
        return super()._get_local_engine_fields() | {"sms": "sms_gateway_id"}

    @api.depends("service_name")
    def _compute_sms_message_count(self):
        counts = dict(
            self.env["iap.sms.message"]._read_group(
                [("account_id", "in", self.ids), ("state", "in", ("sent", "delivered"))], ["account_id"], ["__count"]
            )
        )
        for account in self:
            account.sms_message_count = counts.get(account, 0)

    def action_open_registration_wizard(self):
        """Override of `sms`: a local account is registered by this database (hidden button)."""
        self._sms_check_odoo_iap()
        return super().action_open_registration_wizard()

    def action_open_sender_name_wizard(self):
        """Override of `sms`: the sender of a local account is its gateway's (hidden button)."""
        self._sms_check_odoo_iap()
        return super().action_open_sender_name_wizard()

    def _sms_check_odoo_iap(self):
        """Refuse the stock SMS account wizards (registration, sender name) for local accounts:
        they call Odoo's SMS server with the account's token, which knows nothing of them.

        :raise UserError: for an account in local mode
        """
        local = self.filtered(lambda account: account.credit_mode == "local")
        if local:
            raise UserError(
                self.env._(
                    "%(account)s uses local credits: its SMS are sent by its gateway (%(gateway)s), which "
                    "decides the sender. Registering with Odoo's SMS server and its sender names do not apply.",
                    account=local[0].display_name,
                    gateway=local[0].sudo().sms_gateway_id.display_name or self.env._("none set"),
                )
            )

    def action_open_sms_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("iap_credits.iap_sms_message_action")
        action["domain"] = [("account_id", "=", self.id)]
        # What the button counted; the failures are one filter away.
        action["context"] = {"create": False, "search_default_filter_sent": 1}
        return action
