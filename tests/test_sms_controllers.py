# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Delivery reports: the stock /sms/status route and each gateway's callback route."""

import json

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
        self.assertEqual(self.url_open("/iap_credits/sms/http/status/999999", data="{}").status_code, 404)
        self.assertEqual(message.state, "sent")

    # ------------------------------------------------------------
    # Twilio
    # ------------------------------------------------------------

    def _twilio_report(self, gateway, uuid, params, signature=None):
        url = gateway._sms_status_url(f"/iap_credits/sms/twilio/status/{gateway.id}/{uuid}")
        if signature is None:
            signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
        return self.url_open(
            f"/iap_credits/sms/twilio/status/{gateway.id}/{uuid}",
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
        self.assertEqual(self._twilio_report(gateway, "not-a-uuid", params).status_code, 400)
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

    # ------------------------------------------------------------
    # Stock route
    # ------------------------------------------------------------

    def test_stock_status_route_updates_history(self):
        message, notification = self._send_from_contact()
        self.make_jsonrpc_request(
            "/sms/status", {"message_statuses": [{"sms_status": "delivered", "uuids": [message.uuid]}]}
        )
        self.assertEqual((message.state, notification.notification_status), ("delivered", "sent"))
