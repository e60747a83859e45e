# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from ..models.iap_account import MANAGER_GROUP


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
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Done")],
        required=True,
        default="draft",
        readonly=True,
        help="Done once confirmed: confirming again (a double click, a replayed request) moves nothing.",
    )

    @api.constrains("credits")
    def _check_credits(self):
        for wizard in self:
            if float_compare(wizard.credits, 0.0, precision_digits=4) <= 0:
                raise UserError(self.env._("The number of credits must be positive."))

    def write(self, vals):
        # Only the confirmation marks a wizard done; putting it back to draft (e.g. after
        # changing its account) would let it move credits twice.
        if "state" in vals and not self.env.su:
            raise AccessError(self.env._("A grant or an adjustment is done only by confirming it."))
        return super().write(vals)

    def action_confirm(self):
        """Move the credits once per wizard, however often this is called.

        The wizard row is locked, then marked done; the ledger row carries an
        idempotency key of this wizard, so that even two confirmations racing each other
        record one movement.
        """
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only IAP credit managers can grant or adjust credits."))
        close = {"type": "ir.actions.act_window_close"}
        self.lock_for_update()
        self.invalidate_recordset(["state"])
        if self.state == "done":
            return close
        account = self.account_id
        account.check_access("read")
        account = account.sudo()
        key = f"iap.credit.adjustment:{self.id}"
        if account._credits_find_movement(key):
            return close
        if self.operation == "grant":
            account._credits_grant(self.credits, self.reason, idempotency_key=key)
        elif self.operation == "add":
            account._credits_grant(self.credits, self.reason, kind="adjustment", idempotency_key=key)
        else:
            try:
                account._credits_debit(self.credits, self.reason, idempotency_key=key)
            except InsufficientCreditError as error:
                raise UserError(str(error)) from error
        self.sudo().state = "done"
        account.message_post(
            body=self.env._(
                "%(operation)s: %(credits)s — %(reason)s",
                operation=dict(self._fields["operation"]._description_selection(self.env))[self.operation],
                credits=account._format_credits(self.credits),
                reason=self.reason,
            )
        )
        return close
