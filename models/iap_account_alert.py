# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Low-credit alerts of `iap.account`: thresholds and the alert state.

This is `iap.account`, in a file of its own so that the alert feature stays one
readable unit and merges with parallel work on ``iap_account.py`` stay trivial. The
ledger announces each movement through the hook ``iap.account._credits_moved``; this
file listens to it. The alert job, which emails the due alerts, is in
``iap_account_alert_job.py``; the alert state, kept by the hook, in
``iap_account_alert_state.py``.
"""

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL
from odoo.tools.mail import single_email_re

from odoo.addons.iap_credits.tools.credit_alert import (
    alert_levels,
    format_levels,
    parse_thresholds,
    split_addresses,
)

ALERT_CRON_XMLID = "iap_credits.ir_cron_credit_alerts"
# Fields whose change redefines the levels of an account, and so restarts its alert state.
ALERT_LEVEL_FIELDS = {"warning_enabled", "warning_threshold", "warning_extra_thresholds", "credit_mode"}
# Fields the alert machinery keeps up to date through SQL, and those computed from them.
ALERT_STATE_FIELDS = [
    "warning_next_level",
    "warning_alert_level",
    "warning_alert_seq",
    "warning_alert_ids",
    "warning_alert_pending",
    "warning_last_alert_date",
    "warning_last_alert_level",
]


class IapAccount(models.Model):
    _inherit = "iap.account"

    # The chatter tracks the label of the field: the form's, not the stock "Email Alert Threshold"
    # (the string replaces the stock one, so it is not redundant).
    warning_threshold = fields.Float(string="Warning Threshold")  # pylint: disable=attribute-string-redundant
    warning_enabled = fields.Boolean(
        string="Receive threshold warning",
        tracking=True,
        help="Email the contact and the alert recipients when the available credits fall below the "
        "warning threshold (local credits only).",
    )
    warning_email = fields.Char(
        string="Contact Email",
        tracking=True,
        help="Where low-credit alerts are sent; several addresses may be separated by commas. "
        "The Email Alert Recipients are notified too.",
    )
    warning_extra_thresholds = fields.Char(
        string="Earlier Warnings",
        tracking=True,
        help="Optional extra thresholds in credits, separated by commas (e.g. 500, 200): an alert is also "
        "sent when the available credits fall below each of them.",
    )
    warning_levels = fields.Char(
        compute="_compute_warning_levels",
        store=True,
        help="Technical: the levels that raise an alert, highest first, as the database compares them.",
    )
    warning_next_level = fields.Float(
        digits="IAP Credits",
        readonly=True,
        copy=False,
        help="Technical: an alert is due when the available credits fall below this level.",
    )
    warning_alert_level = fields.Float(
        string="Alerted Below",
        digits="IAP Credits",
        readonly=True,
        copy=False,
        help="The lowest level the account was alerted for and is still below; a top-up to this level "
        "re-arms the alert.",
    )
    warning_alert_seq = fields.Integer(
        readonly=True,
        copy=False,
        default=0,
        help="Technical: how many times the account fell below a level; each crossing gets one alert.",
    )
    warning_alert_ids = fields.One2many("iap.credit.alert", "account_id", string="Alerts Sent", readonly=True)
    warning_alert_pending = fields.Boolean(
        string="Alert Queued",
        compute="_compute_warning_last_alert",
        help="An alert is due and will be emailed within moments by the scheduled action.",
    )
    warning_last_alert_date = fields.Datetime(string="Last Alert", compute="_compute_warning_last_alert")
    warning_last_alert_level = fields.Float(
        string="Last Alert Level",
        digits="IAP Credits",
        compute="_compute_warning_last_alert",
        help="The threshold named by the last alert.",
    )

    # ------------------------------------------------------------
    # COMPUTE / CONSTRAINTS
    # ------------------------------------------------------------

    @api.depends("credit_mode", "warning_enabled", "warning_threshold", "warning_extra_thresholds")
    def _compute_warning_levels(self):
        for account in self:
            levels = []
            if account.credit_mode == "local" and account.warning_enabled:
                try:
                    levels = alert_levels(account.warning_threshold, account.warning_extra_thresholds)
                except ValueError:
                    levels = []  # refused by _check_warning_settings
            account.warning_levels = format_levels(levels)

    @api.depends("warning_alert_seq", "warning_alert_level", "warning_alert_ids")
    def _compute_warning_last_alert(self):
        last = {}
        if self.ids:
            self.flush_recordset(["warning_alert_seq", "warning_alert_level"])
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT DISTINCT ON (account_id) account_id, sequence, date, level
                      FROM iap_credit_alert WHERE account_id = ANY(%s)
                     ORDER BY account_id, sequence DESC
                    """,
                    self.ids,
                )
            )
            last = {row[0]: row[1:] for row in rows}
        for account in self:
            sequence, date, level = last.get(account.id, (0, False, 0.0))
            account.warning_last_alert_date = date
            account.warning_last_alert_level = level
            account.warning_alert_pending = bool(
                account.credit_mode == "local" and account.warning_alert_level and account.warning_alert_seq > sequence
            )

    @api.constrains("warning_enabled", "warning_email", "warning_extra_thresholds", "warning_user_ids")
    def _check_warning_settings(self):
        for account in self:
            for address in split_addresses(account.warning_email):
                if not single_email_re.match(address):
                    raise ValidationError(
                        self.env._(
                            "%(address)s is not a valid email address (account %(account)s).",
                            address=address,
                            account=account.display_name,
                        )
                    )
            try:
                parse_thresholds(account.warning_extra_thresholds)
            except ValueError as error:
                raise ValidationError(
                    self.env._(
                        "Earlier warnings must be numbers of credits, zero or more, separated by commas: "
                        "%(value)s is not one.",
                        value=error.args[0],
                    )
                ) from None
            if account.warning_enabled and not (split_addresses(account.warning_email) or account.warning_user_ids):
                raise ValidationError(
                    self.env._(
                        "The threshold warning of %(account)s needs a contact email or an email alert recipient.",
                        account=account.display_name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD: a change of the levels restarts the alert state
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        accounts.filtered("warning_levels")._warning_reset()
        return accounts

    def write(self, vals):
        res = super().write(vals)
        if ALERT_LEVEL_FIELDS & set(vals):
            self._warning_reset()
        return res
