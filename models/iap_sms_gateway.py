# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging

from odoo import api, fields, models

from ..tools import gateway_errors

_logger = logging.getLogger(__name__)


class IapSmsGateway(models.Model):
    """A way to deliver the SMS of local credit accounts.

    Each gateway has a provider ``code``; a new provider is a ``selection_add`` on it
    plus overrides of the ``_sms_…`` hooks below that return early for other codes
    (the pattern of `payment.provider`). This file holds the hooks and the ``sandbox``
    provider, which sends nothing and keeps every SMS in the outbox.

    A gateway is given the work already checked and priced by the dispatch layer: SMS
    with a valid E.164 number, one per destination. It answers one outcome per SMS and
    never raises for a delivery problem, so that a failed SMS is never charged.
    """

    _name = "iap.sms.gateway"
    _inherit = ["iap.gateway.mixin"]
    _description = "SMS Gateway"
    _order = "sequence, id"

    code = fields.Selection(
        selection_add=[("sandbox", "Sandbox")],
        ondelete={"sandbox": "cascade"},
        help="Sandbox: sends nothing, marks the SMS sent and keeps it in the SMS outbox — to try the "
        "whole flow without a provider account.",
    )
    company_id = fields.Many2one(help="Leave empty to share the gateway between companies.")
    timeout = fields.Integer(help="How long to wait for the provider's answer before counting the SMS as failed.")
    account_ids = fields.One2many("iap.account", "sms_gateway_id", string="Accounts")
    message_count = fields.Integer(compute="_compute_message_count", string="SMS")

    def _compute_message_count(self):
        counts = dict(
            self.env["iap.sms.message"]._read_group([("gateway_id", "in", self.ids)], ["gateway_id"], ["__count"])
        )
        for gateway in self:
            gateway.message_count = counts.get(gateway, 0)

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def _provider_access_refusal(self):
        """Override of `iap.gateway.mixin`: the provider decides where the SMS go and
        which credentials go with them."""
        return self.env._("Only administrators can choose the provider of an SMS gateway.")

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("iap_credits.iap_sms_message_action")
        action["domain"] = [("gateway_id", "=", self.id)]
        return action

    # ------------------------------------------------------------
    # PROVIDER HOOKS — override them for a new code, returning early for the others
    # ------------------------------------------------------------

    def _sms_send(self, items):
        """Deliver a batch of SMS.

        :param list items: dicts with ``uuid``, ``number`` (E.164) and ``body``
        :return: one outcome per item, in order: a dict with ``success`` (bool),
            ``state`` (a stock SMS API state: ``success``, ``delivered``, ``server_error``,
            ``wrong_number_format``, ``unregistered``, ...), and optionally
            ``failure_reason`` and ``provider_ref`` (the provider's id of the SMS)
        """
        self.ensure_one()
        if self.code != "sandbox":
            raise NotImplementedError(f"SMS gateway provider {self.code!r} cannot send SMS.")
        _logger.info("Sandbox SMS gateway %s: %s SMS kept in the outbox, none sent", self.name, len(items))
        return [{"success": True, "state": "success", "provider_ref": f"sandbox-{item['uuid']}"} for item in items]

    def _sms_failure(self, items, state, reason):
        """The outcomes of a batch that failed as a whole (unreachable gateway, ...)."""
        return [{"success": False, "state": state, "failure_reason": reason} for _item in items]

    def _gateway_logger(self):
        """Override of `iap.gateway.request.mixin`: the family's logger."""
        return _logger

    def _gateway_failure_reason(self, error, timeout):
        """Override of `iap.gateway.request.mixin`: the reasons of the SMS gateways."""
        return self._sms_request_failure_reason(error)

    def _sms_request_failure_reason(self, error):
        """The reason shown to users when a call to the provider failed, by kind of failure.

        Never the exception's text: it holds the URL called, with its query string (API keys)
        or the provider's account id; the details go to the log, redacted, by the caller.

        :param Exception error: raised by `requests` (or by reading the answer as JSON)
        :return: a translated reason
        """
        self.ensure_one()
        name = self.name
        kind = gateway_errors.request_error_kind(error)
        if kind == gateway_errors.TIMEOUT:
            return self.env._(
                "The SMS gateway %(name)s did not answer in time (timeout: %(timeout)s s).",
                name=name,
                timeout=self.timeout,
            )
        if kind == gateway_errors.HTTP_ERROR:
            return self.env._(
                "The SMS gateway %(name)s answered with an error (HTTP %(status)s).",
                name=name,
                status=getattr(error.response, "status_code", "?"),
            )
        if kind == gateway_errors.UNREADABLE:
            return self.env._("The SMS gateway %(name)s answered something unreadable.", name=name)
        return self.env._("The SMS gateway %(name)s could not be reached.", name=name)

    @api.model
    def _sms_status_url(self, route):
        """Absolute URL of a delivery-report route of this database."""
        return self.env["ir.config_parameter"].sudo().get_param("web.base.url", "").rstrip("/") + route
