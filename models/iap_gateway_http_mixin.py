# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import secrets

from odoo import fields, models


class IapGatewayHttpMixin(models.AbstractModel):
    """The credentials of a provider family's generic HTTP API (SMS, snail mail): the URL
    posted to, the authentication header sent with each request, and the token the
    provider sends back with its reports. A family inherits it next to its own model and
    redefines the fields' ``help`` (and ``string``) for what it posts.

    Like every provider setting, they are for system administrators only.
    """

    _name = "iap.gateway.http.mixin"
    _inherit = ["iap.gateway.request.mixin"]
    _description = "IAP HTTP Provider Mixin"

    http_url = fields.Char(string="API URL", groups="base.group_system")
    http_auth_header = fields.Char(
        string="Authentication Header",
        default="Authorization",
        groups="base.group_system",
        help="Name of the HTTP header that carries the credentials, e.g. Authorization or X-Api-Key.",
    )
    http_auth_value = fields.Char(
        string="Authentication Value",
        groups="base.group_system",
        help="Value of the authentication header, e.g. 'Bearer <token>'.",
    )
    http_callback_token = fields.Char(
        string="Status Report Token",
        default=lambda self: secrets.token_urlsafe(24),
        copy=False,
        groups="base.group_system",
        help="The provider sends it in the X-IAP-Credits-Token header of its status reports.",
    )

    def _gateway_secret_fields(self):
        """Override of `iap.gateway.request.mixin`: the credentials of the HTTP API."""
        return super()._gateway_secret_fields() | {"http_auth_value", "http_callback_token"}

    def _http_headers(self, **headers):
        """The headers of a request to the API: JSON answers, the configured
        authentication header, then ``headers``."""
        gateway = self.sudo()
        result = {"Accept": "application/json"}
        if gateway.http_auth_header and gateway.http_auth_value:
            result[gateway.http_auth_header] = gateway.http_auth_value
        result.update(headers)
        return result
