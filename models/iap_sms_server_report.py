# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.tools import split_every

from ..tools import company_data
from .iap_account import in_test_transaction
from .iap_gateway_request_mixin import GatewayRequestError

_logger = logging.getLogger(__name__)

# A client answers its stock `/sms/status` in milliseconds; a slow one waits for the next run.
PUSH_TIMEOUT = 10
# The reports of one POST: the client looks them up with one `IN` of this many uuids.
UUIDS_PER_PUSH = 500
# Reports read by one run of the job; the job is triggered again while some are due.
REPORTS_PER_RUN = 5000
# The stock route answers "OK": a client that sends more is not read to the end.
MAX_ANSWER_BYTES = 64 * 1024
MAX_ATTEMPTS_PARAM = "iap_credits.sms_server_report_attempts"
# Hosts (comma-separated) of client databases on this server's own network (127.0.0.1, an
# intranet name): only they may be called on a non-public address.
TRUSTED_HOSTS_PARAM = "iap_credits.server_webhook_hosts"
DEFAULT_MAX_ATTEMPTS = 8
# Retry n (n >= 1) waits BASE * 2**(n-1) seconds, at most MAX: 1, 2, 4 … minutes, then 6 hours.
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 6 * 3600


class IapSmsServerReport(models.Model):
    """A delivery report of an SMS sent for a client database (server mode), to push to
    the client's ``webhook_url``: the stock `/sms/status` JSON-RPC route, whose
    ``message_statuses`` are ``[{"sms_status", "uuids"}]``.

    The send path only writes these rows and triggers the job; the job pushes them by
    webhook URL, in batches, outside any request. A push that fails (unreachable client,
    timeout, HTTP or JSON-RPC error) is retried with an exponential backoff, then given up
    after ``iap_credits.sms_server_report_attempts`` attempts.
    """

    _name = "iap.sms.server.report"
    _inherit = ["iap.gateway.request.mixin"]
    _description = "SMS Delivery Report to a Client"
    _order = "next_attempt_date, id"
    _rec_name = "uuid"

    account_id = fields.Many2one("iap.account", required=True, readonly=True, index=True, ondelete="cascade")
    webhook_url = fields.Char(required=True, readonly=True)
    uuid = fields.Char(string="SMS UUID", required=True, readonly=True)
    sms_status = fields.Char(string="Status", required=True, readonly=True, help="A stock IAP delivery status.")
    state = fields.Selection(
        [("pending", "To Push"), ("done", "Pushed"), ("failed", "Given Up")],
        required=True,
        default="pending",
        readonly=True,
    )
    attempt_count = fields.Integer(readonly=True)
    next_attempt_date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    last_error = fields.Char(readonly=True)

    _due_idx = models.Index("(next_attempt_date) WHERE state = 'pending'")

    # ------------------------------------------------------------
    # QUEUE
    # ------------------------------------------------------------

    @api.model
    def _queue(self, account, webhook_url, statuses):
        """Queue the reports ``statuses`` (``[(uuid, sms_status)]``) of ``account`` for
        ``webhook_url`` and wake the job up: never waits for the client."""
        if not statuses or not webhook_url:
            return self.browse()
        reports = self.sudo().create(
            [
                {"account_id": account.id, "webhook_url": webhook_url, "uuid": uuid, "sms_status": status}
                for uuid, status in statuses
            ]
        )
        self.env.ref("iap_credits.ir_cron_sms_server_reports")._trigger()
        return reports

    # ------------------------------------------------------------
    # JOB
    # ------------------------------------------------------------

    @api.model
    def _cron_push_reports(self):
        """Push the due reports, one POST per webhook URL and batch of uuids; each POST's
        outcome is committed before the next one is sent (except in tests)."""
        due = self.sudo().search(
            [("state", "=", "pending"), ("next_attempt_date", "<=", fields.Datetime.now())], limit=REPORTS_PER_RUN
        )
        commit = not in_test_transaction(self.env.cr)
        for url, reports in due.grouped("webhook_url").items():
            error = None
            for batch_ids in split_every(UUIDS_PER_PUSH, reports.ids, list):
                batch = self.browse(batch_ids)
                if error:  # the client failed this run already: the rest waits with it, unsent
                    batch._set_failed_attempt(error)
                else:
                    error = batch._push(url)
                if commit and not self.env["ir.cron"]._commit_progress(len(batch_ids)):
                    return
        if len(due) == REPORTS_PER_RUN:
            self.env.ref("iap_credits.ir_cron_sms_server_reports")._trigger()

    def _push(self, url):
        """POST these reports (of one webhook URL) to the client and record the outcome.

        :return: the reason of a failure, else None
        """
        by_status = {}
        for report in self:
            by_status.setdefault(report.sms_status, []).append(report.uuid)
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": None,
            "params": {
                "message_statuses": [{"sms_status": status, "uuids": uuids} for status, uuids in by_status.items()]
            },
        }
        try:
            self._check_webhook_host(url)
            # Not followed: a redirection would send the reports somewhere the client did not name.
            __, answer = self[:1]._gateway_request(
                "POST", url, json=body, allow_redirects=False, max_bytes=MAX_ANSWER_BYTES
            )
            if not isinstance(answer, dict) or "error" in answer or answer.get("result") is None:
                error = answer.get("error") if isinstance(answer, dict) else None
                message = (error or {}).get("message") if isinstance(error, dict) else None
                raise GatewayRequestError(
                    self.env._("The client refused the reports: %(error)s", error=str(message or answer)[:200]),
                    "refused",
                )
        except GatewayRequestError as error:
            reason = str(error.args[0])
            self._set_failed_attempt(reason)
            return reason
        for attempts, reports in self.grouped(lambda report: report.attempt_count + 1).items():
            reports.write({"state": "done", "attempt_count": attempts, "last_error": False})
        return None

    def _check_webhook_host(self, url):
        """Refuse a webhook on this server's own network, unless an administrator trusts its host.

        Any client names its webhook URL: without this, it could make this server POST to
        itself or to its local network. Checked when the reports are pushed (the addresses
        of that moment), not when the SMS are sent.

        :raise GatewayRequestError: the host is not public and not trusted
        """
        parts = urlsplit(url)
        trusted = self.env["ir.config_parameter"].sudo().get_param(TRUSTED_HOSTS_PARAM) or ""
        if parts.hostname in {host.strip().lower() for host in trusted.split(",") if host.strip()}:
            return
        try:
            company_data.resolve_public_host(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        except (ValueError, OSError) as error:
            raise GatewayRequestError(
                self.env._(
                    "The webhook host %(host)s is not a public internet host; an administrator may trust it "
                    "in the system parameter %(param)s.",
                    host=parts.hostname,
                    param=TRUSTED_HOSTS_PARAM,
                ),
                "refused",
            ) from error

    def _set_failed_attempt(self, error):
        """Count a failed push: retry later (exponential backoff), or give up after the last attempt."""
        max_attempts = int(
            self.env["ir.config_parameter"].sudo().get_param(MAX_ATTEMPTS_PARAM, DEFAULT_MAX_ATTEMPTS) or 1
        )
        now = fields.Datetime.now()
        for attempts, reports in self.grouped(lambda report: report.attempt_count + 1).items():
            if attempts >= max_attempts:
                _logger.warning("SMS delivery reports %s given up after %s attempts: %s", reports.ids, attempts, error)
                reports.write({"state": "failed", "attempt_count": attempts, "last_error": error})
                continue
            retry_date = now + timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_MAX_SECONDS))
            reports.write({"attempt_count": attempts, "next_attempt_date": retry_date, "last_error": error})
            self.env.ref("iap_credits.ir_cron_sms_server_reports")._trigger(at=retry_date)

    @api.autovacuum
    def _gc_reports(self):
        """Pushed reports are kept a week, given-up ones a month (to look into)."""
        now = fields.Datetime.now()
        self.sudo().search(
            [
                "|",
                "&",
                ("state", "=", "done"),
                ("write_date", "<", now - timedelta(days=7)),
                "&",
                ("state", "=", "failed"),
                ("write_date", "<", now - timedelta(days=30)),
            ]
        ).unlink()

    # ------------------------------------------------------------
    # REQUEST HOOKS
    # ------------------------------------------------------------

    def _gateway_timeout(self):
        """Override of `iap.gateway.request.mixin`."""
        return PUSH_TIMEOUT

    def _gateway_logger(self):
        """Override of `iap.gateway.request.mixin`."""
        return _logger

    def _gateway_log_name(self):
        """Override of `iap.gateway.request.mixin`: the client, not a record's name."""
        return f"SMS delivery reports of {self.account_id.display_name}"

    @api.depends("webhook_url", "uuid")
    def _compute_display_name(self):
        """The failure reasons of `iap.gateway.request.mixin` name the client's webhook by
        its host: its path and query string may hold the client's own secrets."""
        for report in self:
            report.display_name = urlsplit(report.webhook_url or "").netloc or report.uuid
