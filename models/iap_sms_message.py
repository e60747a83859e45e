# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging
from uuid import uuid4

import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL, float_round

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from ..tools.gateway_errors import log_details
from ..tools.sms_numbers import format_e164, valid_e164
from ..tools.sms_segments import sms_encoding, sms_rate, sms_segments

_logger = logging.getLogger(__name__)

# Stock SMS API states that mean "handed to the provider" / "delivered".
SUCCESS_STATES = {"success": "sent", "processing": "sent", "sent": "sent", "delivered": "delivered"}
# Stock SMS API states as `sms.sms` failure types (see `SmsApiLocal`).
STATE_TO_FAILURE_TYPE = {
    "server_error": "sms_server",
    "sms_number_missing": "sms_number_missing",
    "wrong_number_format": "sms_number_format",
    "insufficient_credit": "sms_credit",
    "duplicate_message": "sms_duplicate",
    "unregistered": "sms_acc",
    "country_not_supported": "sms_country_not_supported",
}
# The states each state may be reached from by a delivery report (the pattern of
# `payment.transaction._update_state`): a report never moves an SMS back, and a delivered or
# failed SMS is final, whatever a late or repeated report says.
SMS_STATE_TRANSITIONS = {
    # Still on its way (queued, accepted by the carrier): only an SMS that was on its way.
    "sent": ("sent",),
    "delivered": ("sent",),
    "error": ("sent",),
}


class IapSmsMessage(models.Model):
    """One SMS sent (or refused) for a local credit account: the SMS history and outbox.

    Stock `sms.sms` rows are deleted once sent; this record stays, with the number in
    E.164, the segments, the credits charged and the delivery state reported by the
    gateway. The sandbox gateway's outbox is the list of these records.
    """

    _name = "iap.sms.message"
    _description = "SMS Outbox"
    _order = "id desc"
    _rec_name = "number"
    # The sender and the date are the batch's (`create_uid`, `create_date` below): one row per
    # SMS with two user keys of its own cost PostgreSQL two foreign-key checks per SMS.
    _log_access = False

    batch_id = fields.Many2one(
        "iap.sms.batch",
        string="SMS Batch",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        # The outbox's own record rules decide who sees an SMS, through the batch's fields.
        bypass_search_access=True,
    )
    uuid = fields.Char(string="SMS UUID", readonly=True, index=True, help="UUID of the stock SMS (sms.sms).")
    account_id = fields.Many2one(related="batch_id.account_id")
    gateway_id = fields.Many2one(related="batch_id.gateway_id")
    gateway_code = fields.Selection(related="batch_id.gateway_id.code", string="Provider")
    company_id = fields.Many2one(related="batch_id.company_id")
    reference = fields.Char(related="batch_id.reference", string="Batch")
    create_date = fields.Datetime(related="batch_id.create_date", string="Date")
    create_uid = fields.Many2one(related="batch_id.create_uid", string="Sent by")
    partner_id = fields.Many2one("res.partner", string="Contact", readonly=True, index="btree_not_null")
    mail_message_id = fields.Many2one("mail.message", string="Chatter Message", readonly=True, ondelete="set null")
    number = fields.Char(readonly=True, help="The destination, in E.164 when it is valid.")
    body = fields.Text(readonly=True)
    encoding = fields.Selection([("gsm7", "GSM-7"), ("ucs2", "UCS-2 (Unicode)")], readonly=True)
    segments = fields.Integer(readonly=True, help="Number of SMS parts the message was sent as.")
    credits = fields.Float(
        digits="IAP Credits", readonly=True, help="Credits charged for this SMS (zero when it failed)."
    )
    state = fields.Selection(
        [("sent", "Sent"), ("delivered", "Delivered"), ("error", "Failed")],
        readonly=True,
        required=True,
        default="sent",
    )
    failure_type = fields.Selection(selection="_selection_failure_type", readonly=True)
    failure_reason = fields.Text(readonly=True)
    provider_ref = fields.Char(string="Provider Reference", readonly=True, help="The provider's id of the SMS.")

    @api.model
    def _selection_failure_type(self):
        return [*self.env["mail.notification"]._fields["failure_type"].selection, ("sms_duplicate", "Duplicate")]

    # ------------------------------------------------------------
    # SENDING — called by `SmsApiLocal._send_sms_batch`
    # ------------------------------------------------------------

    @api.model
    def _send_batch(self, account, company, messages, sms_records=None):
        """Check, price, charge and deliver a batch of stock SMS on a local account.

        Numbers are checked and formatted to E.164 (country of the contact, else of the
        company); missing or invalid numbers and repeated destinations of the same text
        are refused before the gateway and never charged. The rest is priced (segments times
        credits per segment of the destination) and handed to the dispatch layer, which
        holds the credits, calls the account's gateway and captures only what succeeded.

        :param account: the local `iap.account` of the SMS service
        :param company: the company sending
        :param list messages: the stock batch: ``[{"content", "numbers": [{"uuid", "number"}]}]``
        :param sms_records: the `sms.sms` of the batch, when the caller has them (else they
            are found by uuid)
        :return: one stock result per SMS: ``{"uuid", "state", "failure_reason", "credit"}``
        """
        account = account.sudo()
        items = [
            {"uuid": number["uuid"], "raw_number": number.get("number"), "body": message.get("content") or ""}
            for message in messages
            for number in message.get("numbers") or []
        ]
        # SMS a gateway accepted already (a run killed after their capture, before the
        # queue's commit): answered from the outbox, never sent nor charged again.
        done = self._sent_by_uuid([item["uuid"] for item in items], sms_records=sms_records)
        if done:
            answered = [self._reconciled(item, done[item["uuid"]]) for item in items if item["uuid"] in done]
            rest = [item for item in items if item["uuid"] not in done]
            if not rest:
                return answered
            messages = [{"content": item["body"], "numbers": [{"uuid": item["uuid"], "number": item["raw_number"]}]}
                        for item in rest]  # fmt: skip
            return answered + self._send_batch(account, company, messages, sms_records=sms_records)
        to_send = self._check_and_price(account, company, items, sms_records)
        reference = f"sms-{uuid4().hex[:12]}"
        gateway = account.sms_gateway_id
        if to_send and not gateway:
            reason = self.env._(
                "No SMS gateway is set on the account %(account)s: choose one in its SMS settings.",
                account=account.display_name,
            )
            for item in to_send:
                item["outcome"] = self._refusal("unregistered", reason)
        recorded = []
        if to_send and gateway:
            record = self._record_with_capture(account, company, gateway, items, to_send, reference, recorded)
            self._dispatch_items(account, gateway, to_send, reference, record=record)
        if not recorded:
            self._record(account, company, gateway, items, reference)
        return [
            {
                "uuid": item["uuid"],
                "state": item["outcome"]["state"],
                "failure_reason": item["outcome"].get("failure_reason") or False,
                "credit": item.get("credits", 0.0) if item["outcome"]["success"] else 0.0,
            }
            for item in items
        ]

    @api.model
    def _check_and_price(self, account, company, items, sms_records=None):
        """Check the number of each item (E.164), count its segments and price it.

        Sets on each item ``sms`` (its stock SMS), ``number``, ``segments`` and either
        ``credits`` or, for a missing or invalid number or a repeated destination of the
        same text, a refusal ``outcome``.

        A queue's batch is mostly one text to many numbers: segments are counted once per
        text, the rate looked up once per leading digits that the rates can tell apart, and
        the credits computed once per (segments, rate).

        :return: the items to send, priced
        """
        if sms_records is None:
            sms_records = self.env["sms.sms"].sudo().search([("uuid", "in", [item["uuid"] for item in items])])
        sms_by_uuid = {sms.uuid: sms for sms in sms_records.sudo()}
        rates = account.service_id._sms_country_rates()
        unit_price = account.service_id.credit_unit_price
        # The longest prefix decides the rate: the digits after it never do.
        prefix_length = max(map(len, rates), default=0)
        rate_by_prefix = {}
        credits_by_price = {}
        segments_by_body = {}
        seen = set()
        to_send = []
        for item in items:
            sms = item["sms"] = sms_by_uuid.get(item["uuid"])
            raw_number = item["raw_number"]
            # Numbers already in E.164 (as stock writes them) need no country.
            number = item["number"] = valid_e164(raw_number) or format_e164(
                raw_number, self._national_country(sms, company).code
            )
            body = item["body"]
            segments = segments_by_body.get(body)
            if segments is None:
                segments = segments_by_body[body] = sms_segments(body)
            item["segments"] = segments
            if not number:
                item["outcome"] = self._refusal(
                    "wrong_number_format",
                    self.env._("Invalid number: %(number)s", number=raw_number)
                    if raw_number
                    else self.env._("Missing number"),
                )
                continue
            if (number, body) in seen:
                item["outcome"] = self._refusal(
                    "duplicate_message", self.env._("This SMS was already sent to %(number)s.", number=number)
                )
                continue
            seen.add((number, body))
            prefix = number[:prefix_length]
            rate = rate_by_prefix.get(prefix)
            if rate is None:
                rate = rate_by_prefix[prefix] = sms_rate(prefix, unit_price, rates)
            credits = credits_by_price.get((segments, rate))
            if credits is None:
                credits = credits_by_price[segments, rate] = float_round(segments * rate, precision_digits=4)
            item["credits"] = credits
            to_send.append(item)
        return to_send

    @api.model
    def _national_country(self, sms, company):
        """The country a national number of ``sms`` is read in: the contact's, else the company's."""
        country = (sms and sms.partner_id.country_id) or (sms and sms._get_sms_company().country_id)
        return country or company.country_id

    @api.model
    def _sent_by_uuid(self, uuids, sms_records=None):
        """The outbox rows of SMS the gateway accepted, by stock uuid.

        Asked for every batch, and almost always empty. The SMS of ``sms_records`` are
        looked up only when a batch of the outbox may hold one of them (one probe of the
        batches' id ranges, see `iap.sms.batch._may_hold`); the others (SMS of another
        database in server mode) always are, by one plain query on the outbox's own table
        (the ORM's search of 500 uuids cost more than the answer).

        :param list uuids: the uuids of the batch
        :param sms_records: the stock SMS of (some of) these uuids, if known
        :return: ``{uuid: iap.sms.message}``
        """
        if sms_records and not self.env["iap.sms.batch"]._may_hold(sms_records._ids):
            known = set(sms_records.mapped("uuid"))
            uuids = [uuid for uuid in uuids if uuid not in known]
        if not uuids:
            return {}
        self.flush_model(["uuid", "state"])
        rows = self.env.execute_query(
            SQL(
                "SELECT uuid, id FROM iap_sms_message WHERE uuid = ANY(%s) AND state IN ('sent', 'delivered')",
                list(uuids),
            )
        )
        return {uuid: self.sudo().browse(row_id) for uuid, row_id in rows}

    @api.model
    def _reconciled(self, item, row):
        """The stock result of an SMS found in the outbox: sent and charged once already."""
        _logger.info("SMS %s was already sent (outbox %s): not sent again", item["uuid"], row.id)
        return {"uuid": item["uuid"], "state": "success", "failure_reason": False, "credit": row.credits}

    @api.model
    def _record_with_capture(self, account, company, gateway, items, to_send, reference, recorded):
        """The ``record`` callback of the dispatch: the outbox rows of the batch, committed
        in the capture's transaction, when that transaction can reference the stock SMS
        (the queue's, committed before); otherwise (SMS created by the same transaction,
        e.g. the composer's) the caller records them in its own transaction."""

        def record(env, outcomes):
            sms_ids = [item["sms"].id for item in items if item["sms"]]
            if env.cr is not self.env.cr and sms_ids:
                [(visible,)] = env.execute_query(SQL("SELECT count(*) FROM sms_sms WHERE id = ANY(%s)", sms_ids))
                if visible != len(sms_ids):
                    return
            for item, outcome in zip(to_send, outcomes, strict=True):
                item["outcome"] = outcome
            self.with_env(env)._record(account, company, gateway, items, reference)
            recorded.append(True)

        return record

    @api.model
    def _refusal(self, state, reason):
        return {"success": False, "state": state, "failure_reason": reason}

    @api.model
    def _dispatch_items(self, account, gateway, items, reference, record=None):
        """Charge and deliver checked items; sets each item's ``outcome``."""
        segments = sum(item["segments"] for item in items)
        description = self.env._(
            "SMS: %(count)s message(s), %(segments)s segment(s) via %(gateway)s",
            count=len(items),
            segments=segments,
            gateway=gateway.name,
        )

        def perform(batch):
            return gateway._sms_send(
                [{"uuid": item["uuid"], "number": item["number"], "body": item["body"]} for item in batch]
            )

        try:
            result = self.env["iap.credit.dispatch"]._dispatch(
                account,
                items,
                lambda item: item["credits"],
                perform,
                description,
                reference=reference,
                record=record,
            )
        except InsufficientCreditError as error:
            url = self.env["iap.account"].sudo().get_credits_url(service_name="sms")
            reason = self.env._("%(error)s Buy credits: %(url)s", error=error, url=url)
            for item in items:
                item["outcome"] = self._refusal("insufficient_credit", reason)
            return
        except psycopg2.Error:
            # A database error (serialization failure, lost connection) is not the gateway's:
            # it propagates, so that Odoo retries the whole transaction.
            raise
        except Exception as error:  # the dispatch released the credits; nothing is lost
            # Redacted, without the traceback: its frames' text may quote URLs and credentials too.
            _logger.error("SMS gateway %s failed on batch %s: %s", gateway.name, reference, log_details(error))
            # Not the exception's text, which may quote the gateway's URL and credentials.
            reason = self.env._(
                "The SMS gateway %(name)s failed unexpectedly (%(error)s); the details are in the server log.",
                name=gateway.name,
                error=type(error).__name__,
            )
            for item in items:
                item["outcome"] = self._refusal("server_error", reason)
            return
        for item, outcome in zip(items, result.outcomes, strict=True):
            item["outcome"] = outcome

    @api.model
    def _record(self, account, company, gateway, items, reference):
        """The batch's row and one outbox row per SMS of the batch, refused ones included
        (with no credits), in one statement.

        The ORM's ``create`` cost about as much per row as stock Odoo's whole sending of an
        SMS, and so did PostgreSQL's checks of the foreign keys each row used to carry
        (account, gateway, company, sender): they are the batch's now, checked once. Each
        SMS row keeps its own facts only, the contact and the chatter message read from the
        stock SMS in the statement. What repeats within a batch (texts, outcomes) is sent
        once and referenced by position. Neither model has a computed stored field,
        tracking or a constraint in Python that the statement would skip.

        :return: the outbox rows, in the order of ``items``
        """
        self.env["sms.sms"].flush_model(["partner_id", "mail_message_id"])
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
            sms = item["sms"]
            sms_ids.append(sms.id if sms else None)
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
                WITH batch AS (
                    INSERT INTO iap_sms_batch (
                        reference, account_id, gateway_id, company_id, message_count, credits,
                        sms_id_min, sms_id_max, create_uid, create_date, write_uid, write_date
                    )
                    VALUES (%(reference)s, %(account)s, %(gateway)s, %(company)s, %(count)s, %(charged)s,
                            %(sms_id_min)s, %(sms_id_max)s, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s,
                            now() AT TIME ZONE 'UTC')
                    RETURNING id
                )
                INSERT INTO iap_sms_message (
                    batch_id, uuid, partner_id, mail_message_id, number, body, encoding, segments, credits,
                    state, failure_type, failure_reason, provider_ref
                )
                SELECT batch.id, item.uuid, sms.partner_id, sms.mail_message_id, item.number,
                       (%(bodies)s::text[])[item.body_ref], (%(encodings)s::varchar[])[item.body_ref],
                       (%(segments)s::int[])[item.body_ref], item.credits,
                       (%(states)s::varchar[])[item.outcome_ref], (%(failure_types)s::varchar[])[item.outcome_ref],
                       (%(failure_reasons)s::text[])[item.outcome_ref], item.provider_ref
                  FROM batch
                 CROSS JOIN unnest(%(sms_ids)s::int[], %(uuids)s::varchar[], %(numbers)s::varchar[],
                                   %(body_refs)s::int[], %(outcome_refs)s::int[], %(credits)s::numeric[],
                                   %(provider_refs)s::varchar[])
                       WITH ORDINALITY AS item(sms_id, uuid, number, body_ref, outcome_ref, credits, provider_ref,
                                               position)
                  LEFT JOIN sms_sms sms ON sms.id = item.sms_id
                 ORDER BY item.position
                RETURNING id
                """,
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
                sms_ids=sms_ids,
                uuids=uuids,
                numbers=numbers,
                body_refs=body_refs,
                outcome_refs=outcome_refs,
                credits=credits,
                provider_refs=provider_refs,
            )
        )
        return self.browse(row[0] for row in rows)

    # ------------------------------------------------------------
    # DELIVERY REPORTS
    # ------------------------------------------------------------

    @api.model
    def _local_uuids(self, uuids):
        """The uuids, among ``uuids``, of SMS of local accounts (whatever their gateway).

        They are the ones of this history, and the ones of stock SMS still queued by a
        company whose SMS account is local. Everything else went (or goes) through Odoo's IAP.

        :param list uuids: stock SMS uuids
        :return: a set of uuids
        """
        uuids = set(uuids)
        local = set(self.sudo().search_fetch([("uuid", "in", list(uuids))], ["uuid"]).mapped("uuid"))
        queued = self.env["sms.sms"].sudo().search([("uuid", "in", list(uuids - local))])
        for company, company_sms in queued._grouped_by_company().items():
            if company._iap_credits_sms_account().credit_mode == "local":
                local.update(company_sms.mapped("uuid"))
        return local

    def _update_delivery(self, state, provider_error=None, failure_reason=None):
        """Apply a delivery report to the SMS and to its chatter notification.

        A report moves only the SMS whose state allows it (see :data:`SMS_STATE_TRANSITIONS`):
        a late or repeated report about a delivered or failed SMS changes nothing.

        :param str state: ``sent``, ``delivered`` or ``error``
        :param str provider_error: for errors, a stock delivery error (``expired``,
            ``invalid_destination``, ``not_allowed``, ``not_delivered``, ``rejected``)
        :param str failure_reason: for errors, the provider's own words
        :return: the SMS that moved
        """
        if state == "error":
            moved = self._set_error(provider_error or "not_delivered", failure_reason)
        elif state == "delivered":
            moved = self._set_delivered()
        else:
            moved = self._set_sent()
        self.env["sms.sms"].sudo().search(
            [("uuid", "in", self.mapped("uuid")), ("to_delete", "=", False)]
        ).to_delete = True
        return moved

    # ------------------------------------------------------------
    # STATES
    # ------------------------------------------------------------

    def _update_state(self, target_state, values=None):
        """Move the SMS whose state allows it to ``target_state``, with ``values``.

        :param str target_state: a key of :data:`SMS_STATE_TRANSITIONS`
        :param dict values: the other fields written with the state
        :return: the SMS that moved; the others are left as they are
        """
        allowed_states = SMS_STATE_TRANSITIONS[target_state]
        moving = self.filtered(lambda message: message.state in allowed_states)
        for message in self - moving:
            _logger.debug(
                "Refused to move SMS %s from %s to %s; allowed source states are %s",
                message,
                message.state,
                target_state,
                allowed_states,
            )
        if moving:
            # sudo: the outbox is read-only to users; only this addon writes its states.
            moving.sudo().write({"state": target_state, **(values or {})})
        return moving

    def _set_sent(self):
        """The provider still has the SMS on its way (queued, accepted by the carrier).

        :return: the SMS that moved
        """
        sent = self._update_state("sent", {"failure_type": False})
        sent._sms_trackers()._action_update_from_sms_state("pending")
        return sent

    def _set_delivered(self):
        """The SMS reached the phone: final.

        :return: the SMS that moved
        """
        delivered = self._update_state("delivered", {"failure_type": False})
        delivered._sms_trackers()._action_update_from_sms_state("sent")
        return delivered

    def _set_error(self, provider_error, failure_reason=None):
        """The SMS was not delivered: final, with the stock failure type and reason that
        the chatter notification shows too.

        :param str provider_error: a stock delivery error (``expired``, ``not_delivered``, ...)
        :param str failure_reason: the provider's own words
        :return: the SMS that moved
        """
        failed = self._update_state("error")
        if failed:
            __, failure_type, failure_reason = (
                failed._sms_trackers()
                .with_context(sms_known_failure_reason=failure_reason)
                ._action_update_from_provider_error(provider_error)
            )
            failed.sudo().write({"failure_type": failure_type, "failure_reason": failure_reason})
        return failed

    def _sms_trackers(self):
        """The stock trackers (chatter notifications) of the SMS."""
        trackers = self.env["sms.tracker"].sudo()
        if not self:
            return trackers
        return trackers.search([("sms_uuid", "in", self.mapped("uuid"))])
