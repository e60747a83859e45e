# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The outbox rows of a batch of SMS, written by one statement (`iap.sms.message._record`)."""

from odoo import api, models
from odoo.tools import SQL, float_round

from ..tools.sms_segments import sms_encoding
from ..tools.sql_arrays import number_array, text_array
from .iap_sms_message import STATE_TO_FAILURE_TYPE, SUCCESS_STATES


class IapSmsMessage(models.Model):
    _inherit = "iap.sms.message"

    @api.model
    def _record(self, account, company, gateway, items, reference, require_visible=False):
        """The batch's row and one outbox row per SMS of the batch, refused ones included
        (with no credits), in one statement.

        The ORM's ``create`` cost about as much per row as stock Odoo's whole sending of an
        SMS, and so did PostgreSQL's checks of the foreign keys each row used to carry
        (account, gateway, company, sender): they are the batch's now, checked once. Each
        SMS row keeps its own facts only, the contact and the chatter message read from the
        stock SMS in the statement. What repeats within a batch (texts, outcomes) is sent
        once and referenced by position. Neither model has a computed stored field,
        tracking or a constraint in Python that the statement would skip.

        :param bool require_visible: write nothing unless this transaction sees every stock
            SMS of the batch (the capture's own transaction does not see SMS created by the
            caller's uncommitted one); checked by the statement's own join, with no query
            of its own
        :return: the outbox rows, in the order of ``items`` (none when ``require_visible``
            refused)
        """
        self.env["sms.sms"].flush_model(["partner_id", "mail_message_id"])
        # The stock SMS are joined within the batch's id range too: read through the primary
        # key's index, where the join alone scanned and hashed the whole `sms_sms` table.
        bodies, body_index = [], {}
        outcomes, outcome_index = [], {}
        sms_ids, uuids, numbers, body_refs, outcome_refs, credits, provider_refs = [], [], [], [], [], [], []
        charged = 0.0
        for item in items:
            outcome = item["outcome"]
            success = outcome.get("success")
            body = item["body"]
            body_ref = body_index.get(body)
            if body_ref is None:
                body_ref = body_index[body] = len(bodies) + 1
                bodies.append((body, sms_encoding(body), item["segments"]))
            state = SUCCESS_STATES.get(outcome["state"], "error") if success else "error"
            failure_type = None if success else STATE_TO_FAILURE_TYPE.get(outcome["state"], "unknown")
            key = (state, failure_type, outcome.get("failure_reason") or None)
            outcome_ref = outcome_index.get(key)
            if outcome_ref is None:
                outcome_ref = outcome_index[key] = len(outcomes) + 1
                outcomes.append(key)
            sms_ids.append(item.get("sms_id"))
            uuids.append(item["uuid"])
            numbers.append(item["number"] or item["raw_number"] or None)
            body_refs.append(body_ref)
            outcome_refs.append(outcome_ref)
            item_credits = item.get("credits", 0.0) if success else 0.0
            charged += item_credits
            credits.append(item_credits)
            provider_refs.append(outcome.get("provider_ref") or None)
        stock_ids = [sms_id for sms_id in sms_ids if sms_id]
        rows = self.env.execute_query(
            SQL(
                """
                WITH items AS (
                    SELECT item.*, sms.id AS found_id, sms.partner_id, sms.mail_message_id
                      FROM unnest(%(sms_ids)s::int[], %(uuids)s::varchar[], %(numbers)s::varchar[],
                                  %(body_refs)s::int[], %(outcome_refs)s::int[], %(credits)s::numeric[],
                                  %(provider_refs)s::varchar[])
                           WITH ORDINALITY AS item(sms_id, uuid, number, body_ref, outcome_ref, credits,
                                                   provider_ref, position)
                      LEFT JOIN sms_sms sms ON sms.id = item.sms_id AND sms.id BETWEEN %(sms_id_min)s AND %(sms_id_max)s
                ),
                batch AS (
                    INSERT INTO iap_sms_batch (
                        reference, account_id, gateway_id, company_id, message_count, credits,
                        sms_id_min, sms_id_max, create_uid, create_date, write_uid, write_date
                    )
                    SELECT %(reference)s, %(account)s, %(gateway)s, %(company)s, %(count)s, %(charged)s,
                           %(sms_id_min)s, %(sms_id_max)s, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s,
                           now() AT TIME ZONE 'UTC'
                     WHERE NOT %(require_visible)s
                        OR NOT EXISTS (SELECT 1 FROM items WHERE items.sms_id IS NOT NULL AND items.found_id IS NULL)
                    RETURNING id
                )
                INSERT INTO iap_sms_message (
                    batch_id, uuid, partner_id, mail_message_id, number, body, encoding, segments, credits,
                    state, failure_type, failure_reason, provider_ref
                )
                SELECT batch.id, items.uuid, items.partner_id, items.mail_message_id, items.number,
                       (%(bodies)s::text[])[items.body_ref], (%(encodings)s::varchar[])[items.body_ref],
                       (%(segments)s::int[])[items.body_ref], items.credits,
                       (%(states)s::varchar[])[items.outcome_ref], (%(failure_types)s::varchar[])[items.outcome_ref],
                       (%(failure_reasons)s::text[])[items.outcome_ref], items.provider_ref
                  FROM batch
                 CROSS JOIN items
                 ORDER BY items.position
                RETURNING id
                """,
                require_visible=bool(require_visible),
                reference=reference,
                account=account.id,
                gateway=gateway.id or None,
                company=company.id,
                count=len(items),
                charged=float_round(charged, precision_digits=4),
                sms_id_min=min(stock_ids, default=None),
                sms_id_max=max(stock_ids, default=None),
                uid=self.env.uid,
                bodies=[body for body, _encoding, _segments in bodies],
                encodings=[encoding for _body, encoding, _segments in bodies],
                segments=[segments for _body, _encoding, segments in bodies],
                states=[state for state, _type, _reason in outcomes],
                failure_types=[failure_type for _state, failure_type, _reason in outcomes],
                failure_reasons=[reason for _state, _type, reason in outcomes],
                # One value per SMS: array literals (see tools/sql_arrays.py).
                sms_ids=number_array(sms_ids),
                uuids=text_array(uuids),
                numbers=text_array(numbers),
                body_refs=number_array(body_refs),
                outcome_refs=number_array(outcome_refs),
                credits=number_array(credits),
                provider_refs=text_array(provider_refs),
            )
        )
        return self.browse(row[0] for row in rows)
