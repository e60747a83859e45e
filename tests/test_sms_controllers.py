# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Delivery reports: the stock /sms/status route and each gateway's callback route."""

import json
from uuid import uuid4

from twilio.request_validator import RequestValidator

from odoo.tests import tagged

from .common_sms import TWILIO_TOKEN, IapSmsHttpCase


@tagged("post_install", "-at_install")
class TestSmsDeliveryReports(IapSmsHttpCase):
    def setUp(self):
        super().setUp()
        self.account._credits_grant(10, "Welcome")

    # ------------------------------------------------------------
    # Generic HTTP gateway
    # ------------------------------------------------------------

    def _http_report(self, gateway, payload, token=None):
        return self.url_open(
            f"/iap_credits/sms/http/status/{gateway.id}",
            data=payload if isinstance(payload, str) else json.dumps(payload),
            headers={
                "Content-Type": "application/json",
                "X-IAP-Credits-Token": gateway.http_callback_token if token is None else token,
            },
        )

    def test_http_delivery_reports(self):
        api = self._start_api("http")
        gateway = self._http_gateway(api.url)
        self.account.sms_gateway_id = gateway
        message, notification = self._send_from_contact()
        self.assertEqual((message.state, notification.notification_status), ("sent", "pending"))

        response = self._http_report(gateway, {"results": [{"id": message.uuid, "status": "delivered"}]})
        self.assertEqual((response.status_code, response.json()), (200, {"updated": 1}))
        self.assertEqual((message.state, notification.notification_status), ("delivered", "sent"))
        self.assertEqual(self.account.credit_balance, 9, "a delivery report moves no credits")

    def test_http_delivery_failure(self):
        api = self._start_api("http")
        self.account.sms_gateway_id = gateway = self._http_gateway(api.url)
        message, notification = self._send_from_contact()
        response = self._http_report(
            gateway, {"results": [{"id": message.uuid, "status": "expired", "error": "handset off"}]}
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual((message.state, message.failure_type), ("error", "sms_expired"))
        self.assertEqual((notification.notification_status, notification.failure_type), ("exception", "sms_expired"))

    def test_http_bad_reports_change_nothing(self):
        api = self._start_api("http")
        self.account.sms_gateway_id = gateway = self._http_gateway(api.url)
        message, __ = self._send_from_contact()
        good = {"results": [{"id": message.uuid, "status": "delivered"}]}
        self.assertEqual(self._http_report(gateway, good, token="forged").status_code, 403)
        self.assertEqual(self._http_report(gateway, "not json").status_code, 400)
        self.assertEqual(self._http_report(gateway, {"results": "nope"}).status_code, 400)
        self.assertEqual(
            self._http_report(gateway, {"results": [{"id": "x' OR 1=1", "status": "sent"}]}).status_code, 400
        )
        self.assertEqual(
            self._http_report(gateway, {"results": [{"id": message.uuid, "status": "exploded"}]}).status_code, 400
        )
        self.assertEqual(message.state, "sent")

    def test_http_reports_never_move_back(self):
        """A report on its way keeps the SMS sent; a delivered or failed SMS is final: a late
        failure after the delivery (or a delivery after the failure) changes nothing, on the
        SMS or on its chatter notification."""
        api = self._start_api("http")
        self.account.sms_gateway_id = gateway = self._http_gateway(api.url)
        delivered, delivered_notification = self._send_from_contact()
        failed, failed_notification = self._send_from_contact(body="Another text")

        def report(message, status, error=None):
            response = self._http_report(gateway, {"results": [{"id": message.uuid, "status": status, "error": error}]})
            self.assertEqual(response.status_code, 200)

        report(delivered, "queued")
        self.assertEqual((delivered.state, delivered_notification.notification_status), ("sent", "pending"))
        report(delivered, "delivered")
        report(failed, "rejected", "blocked by the carrier")
        self.assertEqual((delivered.state, delivered_notification.notification_status), ("delivered", "sent"))
        self.assertEqual((failed.state, failed.failure_type), ("error", "sms_rejected"))

        report(delivered, "undelivered", "late report")
        report(delivered, "sent")
        report(failed, "delivered")
        report(failed, "expired", "late report")
        self.assertEqual(
            (delivered.state, delivered.failure_type, delivered.failure_reason), ("delivered", False, False)
        )
        self.assertEqual(
            (delivered_notification.notification_status, delivered_notification.failure_type), ("sent", False)
        )
        self.assertEqual(
            (failed.state, failed.failure_type, failed.failure_reason),
            ("error", "sms_rejected", "blocked by the carrier"),
        )
        self.assertEqual(failed_notification.failure_type, "sms_rejected")
        self.assertEqual(self.account.credit_balance, 8, "a delivery report moves no credits")

    def test_http_refusals_are_uniform(self):
        """Whatever is wrong before the token is proven, the same 403 and body: never a 500
        (a non-ASCII token made `hmac.compare_digest` raise), never a 404 that tells which
        gateways exist."""
        api = self._start_api("http")
        self.account.sms_gateway_id = gateway = self._http_gateway(api.url)
        twilio = self._twilio_gateway(api.url)
        message, notification = self._send_from_contact()
        good = {"results": [{"id": message.uuid, "status": "delivered"}]}
        answers = {
            "forged token": self._http_report(gateway, good, token="forged"),
            "non-ASCII token": self._http_report(gateway, good, token="jeton-\u00e9t\u00e9"),
            "UTF-8 token": self._http_report(gateway, good, token="jeton-\u00e9t\u00e9".encode()),
            "no token": self.url_open(f"/iap_credits/sms/http/status/{gateway.id}", data=json.dumps(good)),
            "unknown gateway": self.url_open("/iap_credits/sms/http/status/999999", data=json.dumps(good)),
            "Twilio gateway": self._http_report(twilio, good, token=gateway.http_callback_token),
        }
        for case, response in answers.items():
            self.assertEqual((response.status_code, response.json()), (403, {"error": "forbidden"}), case)
        self.assertEqual((message.state, notification.notification_status), ("sent", "pending"))

    # ------------------------------------------------------------
    # Twilio
    # ------------------------------------------------------------

    def _twilio_report(self, gateway, uuid, params, signature=None, query="", signed_query=None):
        """POST a Twilio status callback as Twilio does: form parameters, signed with the full URL.

        :param str query: the query string of the URL called
        :param str signed_query: the query string of the URL signed, ``query`` by default
        """
        path = f"/iap_credits/sms/twilio/status/{gateway.id}/{uuid}"
        signed_query = query if signed_query is None else signed_query
        if signature is None:
            url = gateway._sms_status_url(path) + (f"?{signed_query}" if signed_query else "")
            signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
        return self.url_open(
            path + (f"?{query}" if query else ""),
            data=params,
            headers={"X-Twilio-Signature": signature},
        )

    def test_twilio_delivery_reports(self):
        api = self._start_api("twilio")
        self.account.sms_gateway_id = gateway = self._twilio_gateway(api.url)
        message, notification = self._send_from_contact()
        self.assertTrue(message.provider_ref.startswith("SM"))
        params = {"MessageSid": message.provider_ref, "MessageStatus": "delivered", "AccountSid": "AC"}

        self.assertEqual(self._twilio_report(gateway, message.uuid, params, signature="forged").status_code, 403)
        self.assertEqual(message.state, "sent")
        self.assertEqual(self._twilio_report(gateway, "not-a-uuid", params).status_code, 403)
        self.assertEqual(
            self._twilio_report(gateway, message.uuid, {**params, "MessageStatus": "exploded"}).status_code, 400
        )

        response = self._twilio_report(gateway, message.uuid, params)
        self.assertEqual((response.status_code, response.text), (200, "OK"))
        self.assertEqual((message.state, notification.notification_status), ("delivered", "sent"))

    def test_twilio_undelivered(self):
        api = self._start_api("twilio")
        self.account.sms_gateway_id = gateway = self._twilio_gateway(api.url)
        message, notification = self._send_from_contact()
        params = {"MessageSid": message.provider_ref, "MessageStatus": "undelivered", "ErrorCode": "30003"}
        self.assertEqual(self._twilio_report(gateway, message.uuid, params).status_code, 200)
        self.assertEqual((message.state, message.failure_type), ("error", "sms_invalid_destination"))
        self.assertEqual(notification.notification_status, "bounce")

    def test_twilio_late_failure_after_delivery(self):
        api = self._start_api("twilio")
        self.account.sms_gateway_id = gateway = self._twilio_gateway(api.url)
        message, notification = self._send_from_contact()
        delivered = {"MessageSid": message.provider_ref, "MessageStatus": "delivered"}
        undelivered = {"MessageSid": message.provider_ref, "MessageStatus": "undelivered", "ErrorCode": "30003"}
        self.assertEqual(self._twilio_report(gateway, message.uuid, delivered).status_code, 200)
        self.assertEqual(self._twilio_report(gateway, message.uuid, undelivered).status_code, 200)
        self.assertEqual((message.state, message.failure_type), ("delivered", False))
        self.assertEqual(notification.notification_status, "sent")

    def test_twilio_signature_covers_the_query_string(self):
        """Twilio signs the full URL it calls, query string included: a callback URL with a
        query string is accepted when signed so, refused when the query string was added after
        signing, and only the signed POST parameters are read."""
        api = self._start_api("twilio")
        self.account.sms_gateway_id = gateway = self._twilio_gateway(api.url)
        message, notification = self._send_from_contact()
        params = {"MessageSid": message.provider_ref, "SmsStatus": "delivered"}
        injected = "MessageStatus=undelivered&ErrorCode=30003&ErrorMessage=Injected"

        # A genuine report, signed without a query string, replayed with unsigned parameters.
        response = self._twilio_report(gateway, message.uuid, params, query=injected, signed_query="")
        self.assertEqual((response.status_code, response.text), (403, "Forbidden"))
        self.assertEqual((message.state, message.failure_reason), ("sent", False))
        self.assertEqual(notification.notification_status, "pending")

        # Signed by Twilio with the query string: accepted, but only its POST parameters count.
        response = self._twilio_report(gateway, message.uuid, params, query=injected)
        self.assertEqual((response.status_code, response.text), (200, "OK"))
        self.assertEqual((message.state, message.failure_reason), ("delivered", False))
        self.assertEqual(notification.notification_status, "sent")

    def test_twilio_refusals_are_uniform(self):
        """Before the signature is proven, every refusal is the same 403 and body: an unknown
        SMS, gateway or uuid format answers like a bad signature, and a non-ASCII signature
        header never makes a 500."""
        api = self._start_api("twilio")
        self.account.sms_gateway_id = gateway = self._twilio_gateway(api.url)
        http_gateway = self._http_gateway(api.url)
        message, notification = self._send_from_contact()
        params = {"MessageSid": message.provider_ref, "MessageStatus": "delivered"}
        unknown_gateway = gateway.browse(999999)
        answers = {
            "bad signature": self._twilio_report(gateway, message.uuid, params, signature="forged"),
            "no signature": self._twilio_report(gateway, message.uuid, params, signature=""),
            "non-ASCII signature": self._twilio_report(gateway, message.uuid, params, signature="sign\u00e9"),
            "UTF-8 signature": self._twilio_report(gateway, message.uuid, params, signature="sign\u00e9".encode()),
            "unknown SMS": self._twilio_report(gateway, uuid4().hex, params, signature="forged"),
            "bad uuid": self._twilio_report(gateway, "x' OR 1=1", params, signature="forged"),
            "unknown gateway": self._twilio_report(unknown_gateway, message.uuid, params, signature="forged"),
            "HTTP gateway": self._twilio_report(http_gateway, message.uuid, params, signature="forged"),
            "unsigned bad status": self._twilio_report(
                gateway, message.uuid, {**params, "MessageStatus": "exploded"}, signature="forged"
            ),
        }
        for case, response in answers.items():
            self.assertEqual((response.status_code, response.text), (403, "Forbidden"), case)
        self.assertEqual((message.state, notification.notification_status), ("sent", "pending"))

    # ------------------------------------------------------------
    # Stock route
    # ------------------------------------------------------------

    def _stock_report(self, status, uuids):
        """POST to the stock IAP route as anybody can: no session, no secret."""
        return self.url_open(
            "/sms/status",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {"message_statuses": [{"sms_status": status, "uuids": uuids}]},
                }
            ),
            headers={"Content-Type": "application/json"},
        )

    def _iap_sms_notification(self):
        """The chatter notification of an SMS that went through Odoo's IAP (stock mode):
        its tracker is all that is left once IAP accepted it."""
        mail_message = self.partner.message_post(body="Sent through Odoo IAP", message_type="sms")
        notification = self.env["mail.notification"].create(
            {
                "mail_message_id": mail_message.id,
                "res_partner_id": self.partner.id,
                "notification_type": "sms",
                "notification_status": "pending",
            }
        )
        uuid = uuid4().hex
        self.env["sms.tracker"].create({"sms_uuid": uuid, "mail_notification_id": notification.id})
        return uuid, notification

    def test_stock_status_route_ignores_local_sms(self):
        """A stranger who knows the uuid of a local SMS cannot mark it delivered or failed
        through the stock route; reports about SMS of Odoo's IAP still work."""
        message, notification = self._send_from_contact()
        queued = self._create_sms(["+32470000009"])
        iap_uuid, iap_notification = self._iap_sms_notification()

        for status in ("delivered", "not_delivered"):
            response = self._stock_report(status, [message.uuid, queued.uuid])
            self.assertEqual((response.status_code, response.json().get("result")), (200, "OK"))
        self.assertEqual((message.state, message.failure_type), ("sent", False))
        self.assertEqual(notification.notification_status, "pending")
        self.assertEqual((queued.exists(), queued.state, queued.to_delete), (queued, "outgoing", False))

        response = self._stock_report("delivered", [message.uuid, iap_uuid])
        self.assertEqual(response.json().get("result"), "OK")
        self.assertEqual(iap_notification.notification_status, "sent", "the stock route still reports on IAP SMS")
        self.assertEqual((message.state, notification.notification_status), ("sent", "pending"))
