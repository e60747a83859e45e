# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import fields, models
from odoo.tools import SQL, sql

SMS_RANGE_INDEX = "iap_sms_batch_sms_id_range_idx"


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

    reference = fields.Char(readonly=True, help="Ledger reference of the batch: its reservation and capture carry it.")
    account_id = fields.Many2one("iap.account", readonly=True, index=True, ondelete="restrict")
    gateway_id = fields.Many2one("iap.sms.gateway", readonly=True, index=True, ondelete="set null")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    message_ids = fields.One2many("iap.sms.message", "batch_id", string="SMS", readonly=True)
    message_count = fields.Integer(string="SMS Count", readonly=True, help="SMS of the batch, refused ones included.")
    credits = fields.Float(digits="IAP Credits", readonly=True, help="Credits charged for the batch.")
    # The smallest and largest ids of the stock SMS (`sms.sms`) of the batch: see `_may_hold`.
    sms_id_min = fields.Integer(readonly=True)
    sms_id_max = fields.Integer(readonly=True)

    def init(self):
        """The index of `_may_hold`: the ranges of stock SMS ids, searched by overlap."""
        res = super().init()
        if not sql.index_exists(self.env.cr, SMS_RANGE_INDEX):
            sql.create_index(
                self.env.cr,
                SMS_RANGE_INDEX,
                self._table,
                ["int4range(sms_id_min, sms_id_max, '[]')"],
                method="gist",
                where="sms_id_min IS NOT NULL",
            )
        return res

    def _may_hold(self, sms_ids):
        """Whether a batch of the outbox may hold one of the stock SMS ``sms_ids``: whether
        the id range of one overlaps theirs.

        Every SMS is checked against the outbox before it is sent (see
        `iap.sms.message._sent_by_uuid`), and almost never found: the queue sends its SMS
        in the order of their ids, so the range of a new batch overlaps no earlier batch's.
        One probe of this index answers that for the whole batch, where looking its SMS up
        one by one took 500 probes of the outbox's uuid index.

        :param sms_ids: ids of `sms.sms` (not empty)
        :return: bool (True: look the SMS up)
        """
        return bool(
            self.env.execute_query(
                SQL(
                    "SELECT 1 FROM iap_sms_batch WHERE sms_id_min IS NOT NULL"
                    " AND int4range(sms_id_min, sms_id_max, '[]') && int4range(%s, %s, '[]') LIMIT 1",
                    min(sms_ids),
                    max(sms_ids),
                )
            )
        )
