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

    uuid = fields.Char(string="SMS UUID", readonly=True, index=True, help="UUID of the stock SMS (sms.sms).")
    account_id = fields.Many2one("iap.account", readonly=True, index=True, ondelete="restrict")
    gateway_id = fields.Many2one("iap.sms.gateway", readonly=True, index=True, ondelete="set null")
    gateway_code = fields.Selection(related="gateway_id.code", string="Provider")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
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
        index=True,
    )
    failure_type = fields.Selection(selection="_selection_failure_type", readonly=True)
    failure_reason = fields.Text(readonly=True)
    provider_ref = fields.Char(
        string="Provider Reference", readonly=True, index="btree_not_null", help="The provider's id of the SMS."
    )
    reference = fields.Char(string="Batch", readonly=True, help="Ledger reference of the batch the SMS was sent in.")

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
        done = self._sent_by_uuid([item["uuid"] for item in items])
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

        :return: the items to send, priced
        """
        if sms_records is None:
            sms_records = self.env["sms.sms"].sudo().search([("uuid", "in", [item["uuid"] for item in items])])
        sms_by_uuid = {sms.uuid: sms for sms in sms_records.sudo()}
        rates = account.service_id._sms_country_rates()
        unit_price = account.service_id.credit_unit_price
        seen = set()
        to_send = []
        # Per text and per price rather than per SMS: a batch is mostly one text to many numbers.
        segments_by_body = {}
        credits_by_price = {}
        for item in items:
            sms = sms_by_uuid.get(item["uuid"])
            item["sms"] = sms
            # Numbers already in E.164 (as stock writes them) need no country.
            item["number"] = valid_e164(item["raw_number"]) or format_e164(
                item["raw_number"], self._national_country(sms, company).code
            )
            body = item["body"]
            if body not in segments_by_body:
                segments_by_body[body] = sms_segments(body)
            item["segments"] = segments_by_body[body]
            if not item["number"]:
                item["outcome"] = self._refusal(
                    "wrong_number_format",
                    self.env._("Invalid number: %(number)s", number=item["raw_number"])
                    if item["raw_number"]
                    else self.env._("Missing number"),
                )
            elif (item["number"], body) in seen:
                item["outcome"] = self._refusal(
                    "duplicate_message", self.env._("This SMS was already sent to %(number)s.", number=item["number"])
                )
            else:
                seen.add((item["number"], body))
                price = (item["segments"], sms_rate(item["number"], unit_price, rates))
                if price not in credits_by_price:
                    credits_by_price[price] = float_round(price[0] * price[1], precision_digits=4)
                item["credits"] = credits_by_price[price]
                to_send.append(item)
        return to_send

    @api.model
    def _national_country(self, sms, company):
        """The country a national number of ``sms`` is read in: the contact's, else the company's."""
        country = (sms and sms.partner_id.country_id) or (sms and sms._get_sms_company().country_id)
        return country or company.country_id

    @api.model
    def _sent_by_uuid(self, uuids):
        """The outbox rows of SMS the gateway accepted, by stock uuid.

        Asked for every batch, and almost always empty: one plain query on the outbox's
        own table (the ORM's search of 500 uuids cost more than the answer).
        """
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
            if env.cr is not self.env.cr and len(env["sms.sms"].sudo().browse(sms_ids).exists()) != len(sms_ids):
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
        """One history row per SMS of the batch, refused ones included (with no credits).

        One ``INSERT`` for the whole batch, the contact and the chatter message read from
        the stock SMS in that statement: the ORM's ``create`` cost about as much per row as
        stock Odoo's whole sending of an SMS. The model has no computed stored field, no
        tracking and no constraint in Python that the statement would skip.
        """
        self.env["sms.sms"].flush_model(["partner_id", "mail_message_id"])
        encoding_by_body = {}
        columns = {
            name: []
            for name in (
                "sms_id", "uuid", "number", "body", "encoding", "segments", "credits",
                "state", "failure_type", "failure_reason", "provider_ref",
            )
        }  # fmt: skip
        for item in items:
            outcome = item["outcome"]
            success = outcome.get("success")
            body = item["body"]
            if body not in encoding_by_body:
                encoding_by_body[body] = sms_encoding(body)
            columns["sms_id"].append(item["sms"].id if item["sms"] else None)
            columns["uuid"].append(item["uuid"])
            columns["number"].append(item["number"] or item["raw_number"] or None)
            columns["body"].append(body)
            columns["encoding"].append(encoding_by_body[body])
            columns["segments"].append(item["segments"])
            columns["credits"].append(item.get("credits", 0.0) if success else 0.0)
            columns["state"].append(SUCCESS_STATES.get(outcome["state"], "error") if success else "error")
            columns["failure_type"].append(None if success else STATE_TO_FAILURE_TYPE.get(outcome["state"], "unknown"))
            columns["failure_reason"].append(outcome.get("failure_reason") or None)
            columns["provider_ref"].append(outcome.get("provider_ref") or None)
        now = self.env.cr.now()
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO iap_sms_message (
                    uuid, account_id, gateway_id, company_id, partner_id, mail_message_id, number, body,
                    encoding, segments, credits, state, failure_type, failure_reason, provider_ref, reference,
                    create_uid, create_date, write_uid, write_date
                )
                SELECT item.uuid, %(account)s, %(gateway)s, %(company)s, sms.partner_id, sms.mail_message_id,
                       item.number, item.body, item.encoding, item.segments, item.credits, item.state,
                       item.failure_type, item.failure_reason, item.provider_ref, %(reference)s,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(sms_id)s::int[], %(uuid)s::varchar[], %(number)s::varchar[], %(body)s::text[],
                              %(encoding)s::varchar[], %(segments)s::int[], %(credits)s::numeric[],
                              %(state)s::varchar[], %(failure_type)s::varchar[], %(failure_reason)s::text[],
                              %(provider_ref)s::varchar[])
                       WITH ORDINALITY AS item(sms_id, uuid, number, body, encoding, segments, credits, state,
                                               failure_type, failure_reason, provider_ref, position)
                  LEFT JOIN sms_sms sms ON sms.id = item.sms_id
                 ORDER BY item.position
                RETURNING id
                """,
                account=account.id,
                gateway=gateway.id or None,
                company=company.id,
                reference=reference,
                uid=self.env.uid,
                now=now,
                **columns,
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

        :param str state: ``sent``, ``delivered`` or ``error``
        :param str provider_error: for errors, a stock delivery error (``expired``,
            ``invalid_destination``, ``not_allowed``, ``not_delivered``, ``rejected``)
        :param str failure_reason: for errors, the provider's own words
        """
        trackers = self.env["sms.tracker"].sudo()
        if self:
            trackers = trackers.search([("sms_uuid", "in", self.mapped("uuid"))])
        if state == "error":
            __, failure_type, failure_reason = trackers.with_context(
                sms_known_failure_reason=failure_reason
            )._action_update_from_provider_error(provider_error or "not_delivered")
            self.sudo().write({"state": "error", "failure_type": failure_type, "failure_reason": failure_reason})
        else:
            trackers._action_update_from_sms_state("sent" if state == "delivered" else "pending")
            self.sudo().filtered(lambda m: m.state != "delivered").write({"state": state, "failure_type": False})
        self.env["sms.sms"].sudo().search(
            [("uuid", "in", self.mapped("uuid")), ("to_delete", "=", False)]
        ).to_delete = True
        return True
