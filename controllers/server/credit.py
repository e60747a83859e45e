# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: the Buy Credit page of client databases, `/iap/1/credit`.

The stock client's Buy Credit links (`iap.account.get_credits_url`) open it in the browser
of the client's user, who is not logged in here. The link's hash of the client's token
finds the client account; the pages that follow carry HMAC tokens of this database, each
bound to what it allows (`iap.account._iap_credits_client_token`):

- ``packs``: the account, to list its packs;
- ``pay``: the account, one pack and its price, to open the payment form and create the
  transaction (the stock payment form sends it back as its access token);
- ``purchase``: one transaction, to show its state on the landing page.

The payment is the stock flow of the logged-in pages (`credit_purchase.py`), for the
client's partner, without saved payment methods (a stranger holding the link must not
pay with the client's cards) and without saving any. Credits are granted, and the pack
invoiced, by `payment.transaction._post_process`, never here.
"""

from werkzeug.urls import url_encode

from odoo import http
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import request

from odoo.addons.payment import utils as payment_utils

from .. import credit_purchase


class PaymentPortal(credit_purchase.PaymentPortal):
    # ------------------------------------------------------------
    # PAGES
    # ------------------------------------------------------------

    @http.route("/iap/1/credit", type="http", methods=["GET"], auth="public", website=True, sitemap=False)
    def iap_credits_client_credit(self, service_name=None, account_token=None, hashed=None, **kwargs):
        """The page of the stock client's Buy Credit link: the packs of its account.

        ``dbuuid`` (in ``kwargs``) is not checked: it is no secret, and a client database
        restored elsewhere keeps its token.
        """
        try:
            if hashed != "1":
                raise MissingError(request.env._("This Buy Credit link is not valid."))
            self._iap_credits_client_check_server()
            account = request.env["iap.account"]._server_find_client_account_by_hash(account_token, service_name)
            if not account:
                raise MissingError(
                    request.env._(
                        "No account of this service is known for your database. Use the service once from "
                        "your database, or ask your provider to register it, then open this link again."
                    )
                )
            return self._iap_credits_client_packs_page(account)
        except (AccessError, MissingError) as error:
            return self._iap_credits_client_refusal(error)

    @http.route(
        "/iap_credits/client/<int:account_id>", type="http", methods=["GET"], auth="public", website=True, sitemap=False
    )
    def iap_credits_client_packs(self, account_id, access_token=None, **kwargs):
        """The packs page again (the confirmation page's Buy more credits)."""
        try:
            account = self._iap_credits_client_check_account(account_id, access_token, "packs")
            return self._iap_credits_client_packs_page(account)
        except (AccessError, MissingError) as error:
            return self._iap_credits_client_refusal(error)

    @http.route(
        "/iap_credits/client/<int:account_id>/<int:pack_id>",
        type="http",
        methods=["GET"],
        auth="public",
        website=True,
        sitemap=False,
    )
    def iap_credits_client_checkout(self, account_id, pack_id, access_token=None, **kwargs):
        """The payment form of one pack, for the client's partner."""
        try:
            account, pack = self._iap_credits_client_check_pack(account_id, pack_id, access_token)
        except (AccessError, MissingError) as error:
            return self._iap_credits_client_refusal(error)
        company, partner_sudo, currency = pack.company_id, account.client_partner_id, pack.currency_id
        availability_report = {}
        providers_sudo = self._iap_credits_client_providers(account, pack, report=availability_report)
        payment_methods_sudo = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(
                providers_sudo.ids, partner_sudo.id, currency_id=currency.id, report=availability_report
            )
        )
        payment_context = {
            "reference_prefix": payment_utils.singularize_reference_prefix(prefix="CREDITS"),
            "amount": pack.price,
            "currency": currency,
            "partner_id": partner_sudo.id,
            "providers_sudo": providers_sudo,
            "payment_methods_sudo": payment_methods_sudo,
            # Never the client's saved payment methods, and nothing saved for it.
            "tokens_sudo": request.env["payment.token"].sudo(),
            "availability_report": availability_report,
            "transaction_route": f"/iap_credits/client/transaction/{account.id}/{pack.id}",
            # Required by the payment form; the transaction route replaces it.
            "landing_route": self._iap_credits_client_packs_url(account),
            "access_token": self._iap_credits_client_pay_token(account, pack),
        }
        return request.render(
            "iap_credits.client_credits_checkout",
            {
                **payment_context,
                "show_tokenize_input_mapping": dict.fromkeys(providers_sudo.ids, False),
                "account": account,
                "pack": pack,
                "company": company,
                "res_company": company,
                "back_url": self._iap_credits_client_packs_url(account),
            },
        )

    @http.route(
        "/iap_credits/client/purchase/<int:tx_id>",
        type="http",
        methods=["GET"],
        auth="public",
        website=True,
        sitemap=False,
    )
    def iap_credits_client_purchase(self, tx_id, access_token=None, **kwargs):
        """The landing page after payment. Like the logged-in one, it moves nothing."""
        tx_sudo = request.env["payment.transaction"].sudo().browse(tx_id).exists()
        account = tx_sudo.iap_credit_account_id
        if not (
            tx_sudo
            and tx_sudo._iap_credits_is_client_purchase()
            and account._iap_credits_client_token_valid(access_token, "purchase", tx_sudo.id)
        ):
            return self._iap_credits_client_refusal(
                MissingError(request.env._("This link to a credit purchase is invalid."))
            )
        return self._iap_credits_confirmation(
            "iap_credits.client_credits_confirmation", tx_sudo, account, self._iap_credits_client_packs_url(account)
        )

    # ------------------------------------------------------------
    # TRANSACTION
    # ------------------------------------------------------------

    @http.route("/iap_credits/client/transaction/<int:account_id>/<int:pack_id>", type="jsonrpc", auth="public")
    def iap_credits_client_transaction(self, account_id, pack_id, amount=None, access_token=None, **kwargs):
        """Create the draft payment transaction of a client's pack and return its processing values.

        As the logged-in route: amount, currency, partner and credits come from the pack and the
        account, never from the request, and the form's amount must be the pack's price. The
        access token is the ``pay`` token of this account, pack and price.

        :raise ValidationError: on any invalid parameter, with a message shown by the form
        """
        try:
            account, pack = self._iap_credits_client_check_pack(account_id, pack_id, access_token)
        except (AccessError, MissingError) as error:
            raise ValidationError(str(error)) from error
        amount = self._cast_as_float(amount)
        if amount is None or pack.currency_id.compare_amounts(amount, pack.price) != 0:
            raise ValidationError(
                request.env._("The amount to pay does not match the price of the pack. Reload the page and try again.")
            )
        self._validate_transaction_kwargs(kwargs, additional_allowed_keys=("reference_prefix",))
        if kwargs.get("is_validation"):
            raise ValidationError(request.env._("A credit pack must be paid, not just validated."))
        if kwargs.get("flow") not in ("direct", "redirect") or kwargs.get("token_id"):
            raise ValidationError(request.env._("Saved payment methods cannot be used on this page."))
        provider_sudo = self._iap_credits_client_providers(account, pack).filtered(
            lambda provider: provider.id == self._cast_as_int(kwargs.get("provider_id"))
        )
        method_id = self._cast_as_int(kwargs.get("payment_method_id"))
        methods_sudo = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(
                provider_sudo.ids, account.client_partner_id.id, currency_id=pack.currency_id.id
            )
        )
        if not provider_sudo or method_id not in methods_sudo.ids:
            raise ValidationError(request.env._("This payment provider cannot be used for this purchase."))
        kwargs.update(
            reference_prefix=payment_utils.singularize_reference_prefix(prefix="CREDITS"),
            tokenization_requested=False,
        )
        tx_sudo = self._create_transaction(
            amount=pack.price,
            currency_id=pack.currency_id.id,
            partner_id=account.client_partner_id.id,
            custom_create_values={
                "iap_credit_account_id": account.id,
                "iap_credit_pack_id": pack.id,
                "iap_credits": pack.total_credits,
                "tokenize": False,
            },
            **kwargs,
        )
        token = account._iap_credits_client_token("purchase", tx_sudo.id)
        tx_sudo.landing_route = f"/iap_credits/client/purchase/{tx_sudo.id}?{url_encode({'access_token': token})}"
        return tx_sudo._get_processing_values()

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _iap_credits_client_packs_page(self, account):
        company = account._iap_credits_client_company()
        packs = request.env["iap.credit.pack"].sudo()._get_offered_packs(account, company)
        return request.render(
            "iap_credits.client_credits_packs",
            {
                "account": account,
                "company": company,
                "res_company": company,
                "packs": packs,
                "pack_urls": {
                    pack.id: f"/iap_credits/client/{account.id}/{pack.id}?"
                    + url_encode({"access_token": self._iap_credits_client_pay_token(account, pack)})
                    for pack in packs
                },
            },
        )

    @staticmethod
    def _iap_credits_client_check_server():
        """:raise AccessError: when this database does not serve other databases"""
        if request.env["iap.account"]._server_mode() == "off":
            raise AccessError(request.env._("This database does not sell IAP credits to other databases."))

    def _iap_credits_client_check_account(self, account_id, access_token, purpose, *values):
        """The client account ``account_id`` (sudo) if ``access_token`` is its ``purpose`` token.

        :raise AccessError: when this database does not serve other databases
        :raise MissingError: for an unknown account, an account that is not a local client
            account, or a wrong token: they look alike
        """
        self._iap_credits_client_check_server()
        account = request.env["iap.account"].sudo().browse(account_id).exists() if isinstance(account_id, int) else None
        if not (
            account
            and account.client_partner_id
            and account.credit_mode == "local"
            and account.service_id.has_local_engine
            and account._iap_credits_client_token_valid(access_token, purpose, *values)
        ):
            raise MissingError(request.env._("This link to buy credits is invalid or has expired."))
        return account

    def _iap_credits_client_check_pack(self, account_id, pack_id, access_token):
        """The client account and the pack of a ``pay`` token, if the pack is still offered to the
        account at the price it was signed for.

        :raise AccessError: when this database does not serve other databases
        :raise MissingError: for a wrong token, an unknown or archived pack, or a changed price
        """
        pack = request.env["iap.credit.pack"].sudo().browse(pack_id) if isinstance(pack_id, int) else None
        pack = pack and pack.exists()
        account = self._iap_credits_client_check_account(
            account_id, access_token, "pay", *(self._iap_credits_client_pay_values(pack) if pack else ("-",))
        )
        if pack not in pack._get_offered_packs(account, account._iap_credits_client_company()):
            raise MissingError(request.env._("This credit pack is no longer offered. Choose another one."))
        return account, pack

    @staticmethod
    def _iap_credits_client_pay_values(pack):
        return (pack.id, pack.currency_id.id, pack.currency_id.round(pack.price), pack.total_credits)

    def _iap_credits_client_pay_token(self, account, pack):
        return account._iap_credits_client_token("pay", *self._iap_credits_client_pay_values(pack))

    @staticmethod
    def _iap_credits_client_packs_url(account):
        token = account._iap_credits_client_token("packs")
        return f"/iap_credits/client/{account.id}?{url_encode({'access_token': token})}"

    @staticmethod
    def _iap_credits_client_providers(account, pack, report=None):
        """The providers that may be shown to a stranger (published ones) for this pack."""
        return (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                pack.company_id.id,
                account.client_partner_id.id,
                pack.price,
                currency_id=pack.currency_id.id,
                report=report,
            )
        )

    @staticmethod
    def _iap_credits_client_refusal(error):
        status = 403 if isinstance(error, AccessError) else 404
        return request.render(
            "iap_credits.client_credits_refusal",
            {"message": str(error), "res_company": request.env.company},
            status=status,
        )
