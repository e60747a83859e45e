# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging
from uuid import uuid4

from odoo import api, fields, models

from ..tools import gateway_errors

_logger = logging.getLogger(__name__)


class IapSnailmailGateway(models.Model):
    """A way to print and post the letters of local credit accounts.

    Each gateway has a provider ``code``; a new provider is a ``selection_add`` on it plus
    an override of :meth:`_snailmail_send` (and, for providers that report later, of the
    status hooks) that returns early for other codes — the pattern of `payment.provider`
    and of the SMS gateways. This file holds the hooks and the ``sandbox`` provider, which
    posts nothing and keeps every letter in the Post Outbox.

    A gateway is given letters already checked and priced by `iap.snailmail.post`: a
    complete address, a PDF as stock prepares it (margins cleared, cover page when asked).
    It answers one outcome per letter and never raises for a refusal or an unreachable
    provider, so that a failed letter is never charged.
    """

    _name = "iap.snailmail.gateway"
    _inherit = ["iap.gateway.mixin"]
    _description = "Snail Mail Provider"
    _order = "sequence, id"

    code = fields.Selection(
        selection_add=[("sandbox", "Sandbox")],
        ondelete={"sandbox": "cascade"},
        help="Sandbox: posts nothing, marks the letter sent and keeps its PDF in the Post Outbox — to try "
        "the whole flow without a provider account.",
    )
    company_id = fields.Many2one(help="Leave empty to share the provider between companies.")
    timeout = fields.Integer(
        default=30,
        help="How long to wait for the provider's answer before counting the letter as failed (not charged).",
    )
    account_ids = fields.One2many("iap.account", "snailmail_gateway_id", string="Accounts")
    post_count = fields.Integer(compute="_compute_post_count", string="Letters")

    def _compute_post_count(self):
        counts = dict(
            self.env["iap.snailmail.post"]._read_group([("gateway_id", "in", self.ids)], ["gateway_id"], ["__count"])
        )
        for gateway in self:
            gateway.post_count = counts.get(gateway, 0)

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def _provider_access_refusal(self):
        """Override of `iap.gateway.mixin`: the provider decides where the letters
        (invoices, with the customers' addresses) and the credentials go."""
        return self.env._("Only administrators can choose the provider of a snail mail gateway.")

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_posts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("iap_credits.iap_snailmail_post_action")
        action["domain"] = [("gateway_id", "=", self.id)]
        return action

    # ------------------------------------------------------------
    # PROVIDER HOOKS — override them for a new code, returning early for the others
    # ------------------------------------------------------------

    def _snailmail_send(self, items):
        """Print and post a batch of letters.

        :param list items: dicts with ``letter_id``, ``pdf`` (bytes), ``filename``, ``pages``,
            ``address`` and ``return_address`` (dicts with ``name``, ``street``, ``street2``,
            ``zip``, ``city``, ``state`` (code), ``country_code``), ``color``, ``duplex``,
            ``cover``, ``description`` and ``idempotency_key`` (the same for every attempt at
            one letter whose outcome was unknown: a provider that honours it never posts a
            letter twice)
        :return: one outcome per item, in order: a dict with ``success`` (bool: the provider
            accepted the letter, charge it) and optionally ``provider_ref`` (the provider's
            id of the letter), ``provider_status``; for failures ``error_code`` (a stock
            ``snailmail.letter`` error code: ``MISSING_REQUIRED_FIELDS``, ``FORMAT_ERROR``,
            ``UNKNOWN_ERROR``), ``failure_reason`` (translated), ``retry`` (the provider was
            unreachable or failed: the retry job tries again) and ``uncertain`` (no readable
            answer: the provider may have accepted the letter, so the next attempt reuses the
            idempotency key)
        """
        self.ensure_one()
        if self.code != "sandbox":
            raise NotImplementedError(f"Snail mail provider {self.code!r} cannot post letters.")
        _logger.info(
            "Sandbox snail mail gateway %s: %s letters kept in the Post Outbox, none posted", self.name, len(items)
        )
        return [
            {"success": True, "provider_ref": f"sandbox-{uuid4().hex[:16]}", "provider_status": "sandbox"}
            for item in items
        ]

    def _snailmail_poll(self, posts):
        """Ask the provider for the status of letters it accepted; apply what changed.

        Providers that report on their own (webhooks) may also be polled. The sandbox has
        nothing to report.

        :param posts: `iap.snailmail.post` rows of this gateway, accepted, not final
        """
        self.ensure_one()

    def _snailmail_failure(self, items, reason, error_code="UNKNOWN_ERROR", retry=True, uncertain=False):
        """The outcomes of a batch that failed as a whole (unreachable provider, ...)."""
        return [
            {
                "success": False,
                "error_code": error_code,
                "failure_reason": reason,
                "retry": retry,
                "uncertain": uncertain,
            }
            for _item in items
        ]

    def _gateway_logger(self):
        """Override of `iap.gateway.request.mixin`: the family's logger."""
        return _logger

    def _gateway_failure_reason(self, error, timeout):
        """Override of `iap.gateway.request.mixin`: the reasons of the snail mail providers."""
        kind = gateway_errors.request_error_kind(error)
        status = getattr(error.response, "status_code", None) if kind == gateway_errors.HTTP_ERROR else None
        return self._snailmail_request_failure_reason(kind, status=status)

    def _snailmail_request_failure_reason(self, kind, status=None):
        """The reason shown to users when a call to the provider failed, by kind of failure.

        Never the exception's text: it may quote the URL called and credentials; the
        details go to the log, redacted, by the caller.

        :param str kind: one of `..tools.gateway_errors` kinds
        :param status: the HTTP status, for HTTP errors
        """
        self.ensure_one()
        if kind == gateway_errors.TIMEOUT:
            return self.env._(
                "The snail mail provider %(name)s did not answer in time (timeout: %(timeout)s s).",
                name=self.name,
                timeout=self.timeout,
            )
        if kind == gateway_errors.HTTP_ERROR:
            return self.env._(
                "The snail mail provider %(name)s answered with an error (HTTP %(status)s).",
                name=self.name,
                status=status or "?",
            )
        if kind == gateway_errors.UNREADABLE:
            return self.env._("The snail mail provider %(name)s answered something unreadable.", name=self.name)
        return self.env._("The snail mail provider %(name)s could not be reached.", name=self.name)

    @api.model
    def _snailmail_status_url(self, route):
        """Absolute URL of a status route of this database (webhooks)."""
        return self.env["ir.config_parameter"].sudo().get_param("web.base.url", "").rstrip("/") + route
