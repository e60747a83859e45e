# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError


class IapCreditAdjustment(models.TransientModel):
    """Grant credits to an account, or correct its balance, with a reason.

    Writes ledger rows through the account's ledger API; the rows themselves stay
    immutable, a wrong adjustment is corrected by another one.
    """

    _name = "iap.credit.adjustment"
    _description = "Grant or Adjust IAP Credits"

    account_id = fields.Many2one("iap.account", required=True, domain=[("credit_mode", "=", "local")])
    credit_available = fields.Float(related="account_id.credit_available", string="Available Now")
    operation = fields.Selection(
        [
            ("grant", "Grant credits"),
            ("add", "Adjustment: add credits"),
            ("remove", "Adjustment: remove credits"),
        ],
        required=True,
        default="grant",
        help="Grant: free credits (gift, trial, compensation). Adjustment: a correction of the balance.",
    )
    credits = fields.Float(digits="IAP Credits", required=True, default=0.0)
    reason = fields.Char(required=True, help="Recorded on the ledger row, for the audit trail.")

    @api.constrains("credits")
    def _check_credits(self):
        for wizard in self:
            if float_compare(wizard.credits, 0.0, precision_digits=4) <= 0:
                raise UserError(self.env._("The number of credits must be positive."))

    def action_confirm(self):
        self.ensure_one()
        if not self.env.user.has_group("iap_credits.group_iap_credits_manager"):
            raise AccessError(self.env._("Only IAP credit managers can grant or adjust credits."))
        account = self.account_id
        account.check_access("read")
        account = account.sudo()
        if self.operation == "grant":
            account._credits_grant(self.credits, self.reason)
        elif self.operation == "add":
            account._credits_grant(self.credits, self.reason, kind="adjustment")
        else:
            try:
                account._credits_debit(self.credits, self.reason)
            except InsufficientCreditError as error:
                raise UserError(str(error)) from error
        account.message_post(
            body=self.env._(
                "%(operation)s: %(credits)s credits — %(reason)s",
                operation=dict(self._fields["operation"]._description_selection(self.env))[self.operation],
                credits=self.credits,
                reason=self.reason,
            )
        )
        return {"type": "ir.actions.act_window_close"}
