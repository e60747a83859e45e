# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, models
from odoo.tools import SQL

from ..tools.sms_numbers import format_e164

# Refusals whose outbox reason is written for this database's users (it names the account,
# the gateway, this database's own buy page): a client reads these instead.
CLIENT_REASONS = ("insufficient_credit", "unregistered", "server_error")


class IapSmsServer(models.AbstractModel):
    """Server mode: SMS that another Odoo database sends through this one (`/api/sms/3/send`).

    They go the way of this database's own SMS, on the client's account: numbers checked,
    priced, charged and delivered by the outbox (`iap.sms.message._send_batch`) through the
    dispatch layer and the account's gateway, with no stock `sms.sms` of this database
    behind them. What this adds: the client's uuids are its own (another client's never
    answer for it), national numbers are read in the client's country, the refusals are
    explained in the client's terms, and the delivery reports go to its ``webhook_url``.
    """

    _name = "iap.sms.server"
    _description = "SMS Server Mode"

    @api.model
    def _send_for_client(self, account, messages, webhook_url=None):
        """Send a stock batch of SMS for the client account ``account``.

        :param account: the client's `iap.account` of the SMS service (sudo)
        :param list messages: the stock batch, checked by the route:
            ``[{"content": str, "numbers": [{"uuid": str, "number": str}]}]``
        :param str webhook_url: the client's stock `/sms/status` route, or None
        :return: one stock result per number: ``{"uuid", "state", "credit", "failure_reason"}``
        """
        account = account.sudo()
        uuids = [number["uuid"] for message in messages for number in message["numbers"]]
        taken = self._foreign_uuids(account, uuids)
        refused = [
            {
                "uuid": uuid,
                "state": "duplicate_message",
                "credit": 0.0,
                "failure_reason": self.env._("This SMS identifier was already used."),
            }
            for uuid in uuids
            if uuid in taken
        ]
        country_code = account.client_partner_id.country_id.code
        to_send = [
            {
                "content": message["content"],
                "numbers": [
                    {"uuid": number["uuid"], "number": self._client_number(number["number"], country_code)}
                    for number in message["numbers"]
                    if number["uuid"] not in taken
                ],
            }
            for message in messages
        ]
        to_send = [message for message in to_send if message["numbers"]]
        results = []
        if to_send:
            company = account.company_ids[:1] or self.env.company
            # No stock SMS of this database is behind them: none is looked up by their uuids.
            results = self.env["iap.sms.message"]._send_batch(
                account, company, to_send, sms_records=self.env["sms.sms"]
            )
        for result in results:
            if result["state"] in CLIENT_REASONS:
                result["failure_reason"] = self._client_reason(result["state"])
        self._after_send(account, [result["uuid"] for result in results if result["state"] == "success"], webhook_url)
        by_uuid = {result["uuid"]: result for result in results + refused}
        return [by_uuid[uuid] for uuid in uuids]

    @api.model
    def _foreign_uuids(self, account, uuids):
        """The uuids, among ``uuids``, of SMS of the outbox that are not ``account``'s: a
        client's uuid never finds (nor answers about) another account's SMS."""
        if not uuids:
            return set()
        self.env["iap.sms.message"].flush_model(["uuid", "batch_id"])
        self.env["iap.sms.batch"].flush_model(["account_id"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT message.uuid
                  FROM iap_sms_message message
                  JOIN iap_sms_batch batch ON batch.id = message.batch_id
                 WHERE message.uuid = ANY(%s) AND batch.account_id IS DISTINCT FROM %s
                """,
                list(uuids),
                account.id,
            )
        )
        return {uuid for (uuid,) in rows}

    @api.model
    def _client_number(self, number, country_code):
        """A national number read in the client's country (its partner's), as the client's
        own contacts are; else left for the outbox to check."""
        if not number or not country_code:
            return number
        return format_e164(number, country_code) or number

    @api.model
    def _client_reason(self, state):
        """The reason a client reads for a refusal, without this database's internals."""
        if state == "insufficient_credit":
            return self.env._("Not enough SMS credits on your account of this IAP server: buy credits.")
        if state == "unregistered":
            return self.env._("Your account of this IAP server has no SMS gateway yet: contact its administrator.")
        return self.env._("The SMS gateway failed; the SMS was not charged.")

    @api.model
    def _after_send(self, account, uuids, webhook_url):
        """Attach the client's webhook to the SMS just accepted, and report at once those
        of the sandbox, which delivers as soon as it accepts (its outbox is the phone).

        Their outbox rows were committed with their charge, in the ledger's own transaction
        (see `iap.credit.dispatch`), after this request's snapshot: they are worked on in a
        transaction that sees them, committed at once (the SMS are sent and charged
        whatever happens to this request). Those recorded by the caller's own transaction
        (free SMS, tests, an account the request wrote) are worked on in it.
        """
        if not uuids:
            return
        done = set()
        if not account._ledger_uses_caller():
            with self.env.registry.cursor() as cr:
                env = self.env(cr=cr)
                done = self.with_env(env)._link_and_deliver(account.with_env(env), uuids, webhook_url)
        if rest := [uuid for uuid in uuids if uuid not in done]:
            self._link_and_deliver(account, rest, webhook_url)

    @api.model
    def _link_and_deliver(self, account, uuids, webhook_url):
        """:return: the uuids of the outbox rows found"""
        sent = (
            self.env["iap.sms.message"]
            .sudo()
            .search(
                [
                    ("batch_id.account_id", "=", account.id),
                    ("uuid", "in", uuids),
                    ("state", "in", ("sent", "delivered")),
                ]
            )
        )
        if webhook_url:
            sent.batch_id.filtered(lambda batch: not batch.server_webhook_url).server_webhook_url = webhook_url
        sandbox = sent.filtered(
            lambda message: message.state == "sent" and message.batch_id.gateway_id.code == "sandbox"
        )
        sandbox._update_delivery("delivered")
        return set(sent.mapped("uuid"))
