# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from collections import defaultdict

from odoo import models

from .iap_account import in_test_transaction
from .sms_api import SmsApiLocal

# Context key set while the stock queue job (`_process_queue`) sends: it commits per batch.
QUEUE_CONTEXT = "iap_credits_sms_queue"
OUTGOING_DOMAIN = [("state", "=", "outgoing"), ("to_delete", "!=", True)]


class SmsSms(models.Model):
    _inherit = "sms.sms"

    def _process_queue(self):
        """Override of `sms` so that `_send` commits each batch of the queue (see there)."""
        return super(SmsSms, self.with_context(**{QUEUE_CONTEXT: True}))._process_queue()

    def _split_by_api(self):
        """Override of `sms` to send the SMS of companies with a local account through local credits.

        The SMS of companies whose account uses Odoo IAP go on to the stock path.
        """
        if not self.env["iap.account"]._iap_credits_sms_may_be_local():
            # No account is local: the stock path, with no lookup of its own (stock query counts).
            yield from super()._split_by_api()
            return
        stock = self.browse()
        for company, company_sms in self._grouped_by_company().items():
            account = company._iap_credits_sms_local_account()
            if account:
                sms_api = SmsApiLocal(self.env, account=account)
                sms_api._set_company(company)
                yield sms_api, company_sms
            else:
                stock |= company_sms
        if stock:
            yield from super(SmsSms, stock)._split_by_api()

    def _grouped_by_company(self):
        """The SMS by `_get_sms_company`, asked once per group of SMS of the same chatter
        message (and record company, with `sms_twilio`) rather than once per SMS: a queue of
        mass SMS has thousands of SMS and few messages, often none.

        :return: ``{company: sms.sms}``
        """
        keys = [name for name in ("mail_message_id", "record_company_id") if name in self._fields]
        company_by_id = {}
        for *_values, ids in self.sudo()._read_group([("id", "in", self.ids)], keys, ["id:array_agg"]):
            company = self.browse(ids[0])._get_sms_company()
            company_by_id.update(dict.fromkeys(ids, company))
        by_company = defaultdict(list)
        for sms_id in self._ids:  # in the order of self, as stock `grouped` keeps it
            by_company[company_by_id[sms_id]].append(sms_id)
        return {company: self.browse(ids) for company, ids in by_company.items()}

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        """Override of `sms` so that a batch of several companies (the queue) is split by API,
        and so that the queue commits each batch.

        The stock queue processing sends its batch without choosing an API; each
        company's SMS must be charged on that company's account. Batches have the stock
        size (``sms.session.batch.size``) whatever the gateway: no lock is held while a
        gateway works (the credits are held and captured in the ledger's own transactions).

        In the queue, each batch is committed before the next one is sent: the SMS marked
        sent in that commit were charged, with their outbox rows, in the capture's commit
        just before (see `iap.sms.message._send_batch`), so a run killed between the two
        finds them in the outbox and never sends nor charges them again. The SMS of later
        batches are locked again after each commit, as stock `send` locks them.
        """
        if self.env.context.get("sms_api") or not self:
            return super()._send(unlink_failed=unlink_failed, unlink_sent=unlink_sent, raise_exception=raise_exception)
        in_queue = self.env.context.get(QUEUE_CONTEXT) and not in_test_transaction(self.env.cr)
        batches = [(sms_api, batch_ids) for sms_api, sms in self._split_by_api() for batch_ids in sms._split_batch()]
        for index, (sms_api, batch_ids) in enumerate(batches):
            batch = self.browse(batch_ids)
            if index and in_queue:
                # The previous commit released the locks taken by the queue job.
                batch = batch.try_lock_for_update().filtered_domain(OUTGOING_DOMAIN)
            # Local credits answer every SMS (gateway failures included) with a result; what
            # `SmsApiLocal` raises is a database error (a serialization failure, ...) or a bug,
            # after which the transaction is unusable: it must reach Odoo's retry, not be
            # turned into failed SMS by the stock `_send_with_api`.
            local = isinstance(sms_api, SmsApiLocal)
            if local:
                sms_api.sms_records = batch
            super(SmsSms, batch.with_context(sms_api=sms_api))._send(
                unlink_failed=unlink_failed, unlink_sent=unlink_sent, raise_exception=raise_exception or local
            )
            if in_queue and index < len(batches) - 1 and not self.env["ir.cron"]._commit_progress():
                break  # out of time: the job runs again for what is left
        return None
