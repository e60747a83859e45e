# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, fields, models
from odoo.exceptions import AccessError


class IapGatewayMixin(models.AbstractModel):
    """What every family of providers shares: autocomplete engines, SMS gateways, snail
    mail gateways.

    A family is a model that inherits this mixin and adds its ``account_ids``, its
    hooks and its providers; a provider is a ``selection_add`` on ``code`` (the pattern
    of `payment.provider`). A family may give the shared fields its own help by
    redefining them with ``help=`` only.

    Only administrators choose the provider of a record: the provider decides what
    leaves the database (SMS, letters, what users typed) and where to, with which
    credentials, and it is guarded like the providers' URLs and secrets
    (``groups="base.group_system"``). The sandbox sends nothing anywhere: anybody who may
    create a record may create a sandbox.

    Providers that speak HTTP call :meth:`_gateway_request` (`iap.gateway.request.mixin`)
    with the record's ``timeout``.
    """

    _name = "iap.gateway.mixin"
    _inherit = ["iap.gateway.request.mixin"]
    _description = "IAP Provider Mixin"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    code = fields.Selection([], string="Provider", required=True, default="sandbox")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        help="Leave empty to share it between companies.",
    )
    timeout = fields.Integer(
        string="Timeout (seconds)",
        default=10,
        help="How long to wait for the provider's answer before giving up (nothing is charged then).",
    )

    _timeout_positive = models.Constraint("CHECK(timeout > 0)", "The timeout must be positive.")

    # ------------------------------------------------------------
    # CRUD: the provider is an administrator's choice
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("code", "sandbox") != "sandbox" for vals in vals_list):
            self._check_provider_access()
        return super().create(vals_list)

    def write(self, vals):
        if "code" in vals and any(record.code != vals["code"] for record in self):
            self._check_provider_access()
        return super().write(vals)

    def _check_provider_access(self):
        """Refuse, unless the user is an administrator (or the superuser).

        :raise AccessError: with :meth:`_provider_access_refusal`
        """
        if not self.env.su and not self.env.user.has_group("base.group_system"):
            raise AccessError(self._provider_access_refusal())

    def _provider_access_refusal(self):
        """The translated message refusing a non-administrator the choice of a provider;
        override it to name the family."""
        return self.env._("Only administrators can choose the provider.")

    # ------------------------------------------------------------
    # REQUESTS
    # ------------------------------------------------------------

    def _gateway_timeout(self):
        """Override of `iap.gateway.request.mixin`: the record's timeout."""
        return self.timeout or super()._gateway_timeout()
