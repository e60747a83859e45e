# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import fields, models


class IapCreditAlert(models.Model):
    """One low-credit alert emailed for an account: the history shown on the account.

    Rows are written by the alert job only (``iap.account._warning_send_alerts``), in
    the same transaction as the emails; ``message_id`` is the note the job left in the
    account's chatter (the emails themselves are deleted once sent, as the template
    says). The job never writes the account row while
    it renders and sends, so it never makes a debit on that account wait or retry.
    ``sequence`` is the account's crossing number (``warning_alert_seq``) this alert
    answers: unique per account, so an alert is emailed once even if two jobs race.
    """

    _name = "iap.credit.alert"
    _description = "IAP Low Credit Alert"
    _order = "date desc, id desc"
    _rec_name = "account_id"

    account_id = fields.Many2one("iap.account", required=True, readonly=True, index=True, ondelete="cascade")
    sequence = fields.Integer(readonly=True, required=True, help="The crossing of the account this alert answers.")
    level = fields.Float(digits="IAP Credits", readonly=True, help="The threshold the alert named.")
    credit_available = fields.Float(
        string="Available", digits="IAP Credits", readonly=True, help="Available credits when the alert was sent."
    )
    recipients = fields.Char(readonly=True, help="The addresses the alert was emailed to.")
    message_id = fields.Many2one("mail.message", string="Email", readonly=True, ondelete="set null")
    date = fields.Datetime(readonly=True, required=True, default=fields.Datetime.now)

    _account_sequence_unique = models.Constraint(
        "UNIQUE(account_id, sequence)",
        "This crossing of the account was already alerted.",
    )
