# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import fields, models


class IapSmsBatch(models.Model):
    """One batch of SMS sent (or refused) for a local credit account: what the SMS of a
    batch share, written once per batch rather than once per SMS.

    A queue sends its SMS by batches of ``sms.session.batch.size``; every SMS of a batch has
    the same account, gateway, company, sender and ledger reference. They are kept here, so
    that the outbox row of each SMS (`iap.sms.message`) references one row instead of
    five: PostgreSQL checks each foreign key of each row it inserts, which cost about as much
    per SMS as stock Odoo's whole sending of it. The outbox shows them as related fields.
    """

    _name = "iap.sms.batch"
    _description = "SMS Batch"
    _order = "id desc"
    _rec_name = "reference"

    reference = fields.Char(
        readonly=True, help="Ledger reference of the batch: its reservation and capture carry it."
    )
    account_id = fields.Many2one("iap.account", readonly=True, index=True, ondelete="restrict")
    gateway_id = fields.Many2one("iap.sms.gateway", readonly=True, index=True, ondelete="set null")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    message_ids = fields.One2many("iap.sms.message", "batch_id", string="SMS", readonly=True)
    message_count = fields.Integer(string="SMS Count", readonly=True, help="SMS of the batch, refused ones included.")
    credits = fields.Float(digits="IAP Credits", readonly=True, help="Credits charged for the batch.")
