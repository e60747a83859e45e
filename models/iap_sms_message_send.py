# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Sending a batch of stock SMS on a local account: the outbox check, the numbers and
prices, the charge and the gateway (`iap.sms.message._send_batch`)."""

import logging
from uuid import uuid4

import psycopg2

from odoo import api, models
from odoo.tools import SQL, float_round

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from ..tools.gateway_errors import log_details
from ..tools.sms_numbers import format_e164, valid_e164
from ..tools.sms_segments import sms_rate, sms_segments

_logger = logging.getLogger(__name__)


class IapSmsMessage(models.Model):
    _inherit = "iap.sms.message"

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

        Sets on each item ``sms_id`` (the id of its stock SMS), ``number``, ``segments`` and either
        ``credits`` or, for a missing or invalid number or a repeated destination of the
        same text, a refusal ``outcome``.

        A queue's batch is mostly one text to many numbers: segments are counted once per
        text, the rate looked up once per leading digits that the rates can tell apart, and
        the credits computed once per (segments, rate).

        :return: the items to send, priced
        """
        if sms_records is None:
            sms_records = self.env["sms.sms"].sudo().search([("uuid", "in", [item["uuid"] for item in items])])
        sms_records = sms_records.sudo()
        # Ids, not records: a record per SMS costs more than the rest of its checking.
        sms_id_by_uuid = dict(zip(sms_records.mapped("uuid"), sms_records._ids, strict=True))
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
            sms_id = item["sms_id"] = sms_id_by_uuid.get(item["uuid"])
            raw_number = item["raw_number"]
            # Numbers already in E.164 (as stock writes them) need no country.
            number = item["number"] = valid_e164(raw_number) or format_e164(
                raw_number, self._national_country(sms_records.browse(sms_id or ()), company).code
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
            for item, outcome in zip(to_send, outcomes, strict=True):
                item["outcome"] = outcome
            # Another transaction than the caller's: it writes only if it sees the stock SMS.
            if self.with_env(env)._record(
                account, company, gateway, items, reference, require_visible=env.cr is not self.env.cr
            ):
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
