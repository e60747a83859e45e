# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import models, tools

from ..tools.sms_api import SmsApiLocal

# Gateways that call the provider once per SMS: smaller batches, so that the account's
# row (locked by the batch's hold until the transaction ends) is not held for long.
PER_MESSAGE_GATEWAYS = {"twilio"}
PER_MESSAGE_BATCH_PARAM = "iap_credits.sms_per_message_batch_size"


class SmsSms(models.Model):
    _inherit = "sms.sms"

    def _split_by_api(self):
        """Override of `sms` to send the SMS of companies with a local account through local credits.

        The SMS of companies whose account uses Odoo IAP go on to the stock path.
        """
        stock = self.browse()
        for company, company_sms in self.grouped(lambda sms: sms._get_sms_company()).items():
            account = company._iap_credits_sms_account()
            if account.credit_mode == "local":
                sms_api = SmsApiLocal(self.env, account=account)
                sms_api._set_company(company)
                yield sms_api, company_sms
            else:
                stock |= company_sms
        if stock:
            yield from super(SmsSms, stock)._split_by_api()

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        """Override of `sms` so that a batch of several companies (the queue) is split by API.

        The stock queue processing sends its batch without choosing an API; each
        company's SMS must be charged on that company's account.
        """
        if self.env.context.get("sms_api") or not self:
            return super()._send(unlink_failed=unlink_failed, unlink_sent=unlink_sent, raise_exception=raise_exception)
        for sms_api, sms in self._split_by_api():
            for batch_ids in sms._split_batch():
                super(SmsSms, self.browse(batch_ids).with_context(sms_api=sms_api))._send(
                    unlink_failed=unlink_failed, unlink_sent=unlink_sent, raise_exception=raise_exception
                )
        return None

    def _split_batch(self):
        """Override of `sms`: smaller batches for gateways that send one SMS per request."""
        companies = self._get_sms_company()
        if len(companies) == 1:
            account = companies._iap_credits_sms_account()
            if account.credit_mode == "local" and account.sms_gateway_id.code in PER_MESSAGE_GATEWAYS:
                size = int(self.env["ir.config_parameter"].sudo().get_param(PER_MESSAGE_BATCH_PARAM, 10))
                yield from tools.split_every(size, self.ids)
                return
        yield from super()._split_batch()
