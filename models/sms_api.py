# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo.addons.sms.tools.sms_api import SmsApiBase


class SmsApiLocal(SmsApiBase):
    """The stock SMS API, answered by this database: local credits and the account's gateway.

    Used by `sms.sms._split_by_api` and `res.company._get_sms_api_class` for companies
    whose SMS account is in local mode (`res.company._iap_credits_sms_local_account`
    decides); it speaks the stock batch protocol, so every stock way of sending SMS
    (composer, mass SMS, templates, automated actions) is charged the same way. It is
    not a model, but it works with models: stock keeps it in `sms/tools/`, this addon's
    `tools/` holds pure helpers only.
    """

    PROVIDER_TO_SMS_FAILURE_TYPE = SmsApiBase.PROVIDER_TO_SMS_FAILURE_TYPE | {
        "insufficient_credit": "sms_credit",
        "duplicate_message": "sms_duplicate",
        "unregistered": "sms_acc",
        "country_not_supported": "sms_country_not_supported",
    }

    def __init__(self, env, account=None):
        super().__init__(env, account=account)
        self._account = account
        # The `sms.sms` of the batch being sent, when the sender knows them (the queue and
        # `sms.sms._send`): spares finding them again by uuid for every batch.
        self.sms_records = None

    @property
    def account(self):
        return self._account or self.company._iap_credits_sms_account()

    def _send_sms_batch(self, messages, delivery_reports_url=False):
        """Override of `sms`: check numbers, charge local credits and deliver through the gateway.

        See `SmsApi._send_sms_batch` for the format of ``messages`` and of the results.
        """
        return self.env["iap.sms.message"]._send_batch(
            self.account, self.company, messages, sms_records=self.sms_records
        )

    def _get_sms_api_error_messages(self):
        buy_url = self.env["iap.account"].sudo().get_credits_url(service_name="sms")
        return super()._get_sms_api_error_messages() | {
            "insufficient_credit": self.env._("Not enough SMS credits. Buy credits: %(url)s", url=buy_url),
            "wrong_number_format": self.env._("The number you're trying to reach is not correctly formatted."),
            "duplicate_message": self.env._("This SMS has been removed as the number was already used."),
            "unregistered": self.env._("No SMS gateway is configured for local credits."),
            "server_error": self.env._("The SMS gateway failed; the SMS was not charged."),
        }
