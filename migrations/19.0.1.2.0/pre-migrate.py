# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""19.0.1.2.0 splits the SMS outbox: what the SMS of a batch share (account, gateway,
company, ledger reference, sender, date) moves from each `iap.sms.message` row to one
`iap.sms.batch` row per batch, which the outbox shows through related fields.

Before the ORM updates the tables: the batches are built from the existing rows (one per
ledger reference, as they were sent), each row gets its batch, each batch the id range of
its stock SMS still queued, and the columns that moved are dropped with their indexes and
foreign keys, together with the indexes the outbox no longer declares (state, provider
reference). The ORM then adds the keys and indexes of
the new fields, and makes ``batch_id`` required.
"""

from odoo.tools import sql


def migrate(cr, version):
    if not version or not sql.column_exists(cr, "iap_sms_message", "account_id"):
        return
    if not sql.table_exists(cr, "iap_sms_batch"):
        cr.execute(
            """
            CREATE TABLE iap_sms_batch (
                id SERIAL PRIMARY KEY,
                reference VARCHAR,
                account_id INT4,
                gateway_id INT4,
                company_id INT4,
                message_count INT4,
                credits NUMERIC,
                sms_id_min INT4,
                sms_id_max INT4,
                create_uid INT4,
                create_date TIMESTAMP,
                write_uid INT4,
                write_date TIMESTAMP
            )
            """
        )
    cr.execute("ALTER TABLE iap_sms_message ADD COLUMN IF NOT EXISTS batch_id INT4")
    # One batch per ledger reference; the other columns are the same for all its rows (one
    # send), grouped on too so that no row is ever given another row's account.
    cr.execute(
        """
        WITH batch AS (
            INSERT INTO iap_sms_batch (
                reference, account_id, gateway_id, company_id, message_count, credits,
                create_uid, create_date, write_uid, write_date
            )
            SELECT reference, account_id, gateway_id, company_id, count(*), COALESCE(sum(credits), 0),
                   create_uid, min(create_date), create_uid, min(create_date)
              FROM iap_sms_message
             WHERE batch_id IS NULL
             GROUP BY reference, account_id, gateway_id, company_id, create_uid
             ORDER BY min(id)
            RETURNING id, reference, account_id, gateway_id, company_id, create_uid
        )
        UPDATE iap_sms_message message
           SET batch_id = batch.id
          FROM batch
         WHERE message.batch_id IS NULL
           AND message.reference IS NOT DISTINCT FROM batch.reference
           AND message.account_id IS NOT DISTINCT FROM batch.account_id
           AND message.gateway_id IS NOT DISTINCT FROM batch.gateway_id
           AND message.company_id IS NOT DISTINCT FROM batch.company_id
           AND message.create_uid IS NOT DISTINCT FROM batch.create_uid
        """
    )
    # The id ranges of the stock SMS still in the queue's table (see `iap.sms.batch._may_hold`):
    # an SMS sent before the upgrade is then still found in the outbox, never sent again.
    cr.execute(
        """
        UPDATE iap_sms_batch batch
           SET sms_id_min = stock.id_min, sms_id_max = stock.id_max
          FROM (SELECT message.batch_id, min(sms.id) AS id_min, max(sms.id) AS id_max
                  FROM iap_sms_message message
                  JOIN sms_sms sms ON sms.uuid = message.uuid
                 GROUP BY message.batch_id) stock
         WHERE stock.batch_id = batch.id
        """
    )
    cr.execute(
        """
        ALTER TABLE iap_sms_message
            DROP COLUMN account_id CASCADE,
            DROP COLUMN gateway_id CASCADE,
            DROP COLUMN company_id CASCADE,
            DROP COLUMN reference CASCADE,
            DROP COLUMN create_uid CASCADE,
            DROP COLUMN create_date CASCADE,
            DROP COLUMN write_uid CASCADE,
            DROP COLUMN write_date CASCADE
        """
    )
    cr.execute("DROP INDEX IF EXISTS iap_sms_message__state_index, iap_sms_message__provider_ref_index")
