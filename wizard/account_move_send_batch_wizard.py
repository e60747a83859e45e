# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import models


class AccountMoveSendBatchWizard(models.TransientModel):
    _inherit = "account.move.send.batch.wizard"

    def _compute_summary_data(self):
        """Override of `snailmail_account`: stock sums up *by Post* with Odoo's stamps (one
        per letter); letters paid with local credits show their price instead, the one of
        the wizard's alert (`account.move.send._iap_credits_snailmail_estimate`)."""
        result = super()._compute_summary_data()
        for wizard in self:
            if not wizard.summary_data or "snailmail" not in wizard.summary_data:
                continue
            moves = wizard.move_ids._origin.filtered(
                lambda move: "snailmail" in self._get_default_sending_methods(move)
                and self._is_applicable_to_move("snailmail", move, **self._get_default_sending_settings(move))
            )
            if len(moves.company_id) != 1:
                continue
            estimate = self._iap_credits_snailmail_estimate(moves)
            if estimate:
                credits = estimate["account"]._format_credits(estimate["credits"])
                extra = self.env._("(about %s)", credits) if estimate["estimated"] else f"({credits})"
                # A new value: the field's value read is a copy, an update in place would be lost.
                summary = dict(wizard.summary_data)
                summary["snailmail"] = {**summary["snailmail"], "extra": extra}
                wizard.summary_data = summary
        return result
