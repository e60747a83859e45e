# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Buy credit packs of a local IAP account through the stock payment flow.

Every route is for logged-in IAP credit managers only, and validates each parameter:
an unknown or foreign account, a pack of another service or company, an amount that
is not the pack's price are refused with a clear message and change nothing. The
credits themselves are granted by `payment.transaction._post_process`, never here.
"""

from werkzeug.urls import url_encode

from odoo import http
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import request

from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment.controllers import portal as payment_portal

from ..models.iap_account import MANAGER_GROUP


class PaymentPortal(payment_portal.PaymentPortal):
    # ------------------------------------------------------------
    # PAGES
    # ------------------------------------------------------------

    @http.route(
        "/iap_credits/buy/<int:account_id>", type="http", methods=["GET"], auth="user", website=True, sitemap=False
    )
    def iap_credits_packs(self, account_id, **kwargs):
        """The packs offered to an account, with its balance: the page of **Buy Credit**."""
        self._iap_credits_use_user_lang()
        try:
            account, company = self._iap_credits_check_account(account_id)
        except (AccessError, MissingError) as error:
            return self._iap_credits_refusal(error)
        packs = request.env["iap.credit.pack"]._get_offered_packs(account, company)
        return request.render(
            "iap_credits.buy_credits_packs",
            {
                "account": account,
                "company": company,
                "res_company": company,
                "packs": packs,
                "back_url": self._iap_credits_back_url(account),
            },
        )

    @http.route(
        "/iap_credits/buy/<int:account_id>/<int:pack_id>",
        type="http",
        methods=["GET"],
        auth="user",
        website=True,
        sitemap=False,
    )
    def iap_credits_checkout(self, account_id, pack_id, **kwargs):
        """The payment form of one pack, rendered like the stock `/payment/pay` page."""
        self._iap_credits_use_user_lang()
        try:
            account, company = self._iap_credits_check_account(account_id)
            pack = self._iap_credits_check_pack(account, company, pack_id)
        except (AccessError, MissingError) as error:
            return self._iap_credits_refusal(error)
        partner_sudo = request.env.user.partner_id
        currency = pack.currency_id
        availability_report = {}
        providers_sudo = (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                company.id, partner_sudo.id, pack.price, currency_id=currency.id, report=availability_report
            )
        )
        payment_methods_sudo = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(
                providers_sudo.ids, partner_sudo.id, currency_id=currency.id, report=availability_report
            )
        )
        tokens_sudo = request.env["payment.token"].sudo()._get_available_tokens(providers_sudo.ids, partner_sudo.id)
        payment_context = {
            "reference_prefix": payment_utils.singularize_reference_prefix(prefix="CREDITS"),
            "amount": pack.price,
            "currency": currency,
            "partner_id": partner_sudo.id,
            "providers_sudo": providers_sudo,
            "payment_methods_sudo": payment_methods_sudo,
            "tokens_sudo": tokens_sudo,
            "availability_report": availability_report,
            "transaction_route": f"/iap_credits/transaction/{account.id}/{pack.id}",
            # Required by the payment form; the transaction route replaces it with the
            # transaction's own landing page, whose id is only known then.
            "landing_route": f"/iap_credits/buy/{account.id}",
            "access_token": self._iap_credits_access_token(partner_sudo, pack),
        }
        return request.render(
            "iap_credits.buy_credits_checkout",
            {
                **payment_context,
                "show_tokenize_input_mapping": self._compute_show_tokenize_input_mapping(providers_sudo),
                "account": account,
                "pack": pack,
                "company": company,
                "res_company": company,
                "back_url": f"/iap_credits/buy/{account.id}",
            },
        )

    @http.route(
        "/iap_credits/purchase/<int:tx_id>", type="http", methods=["GET"], auth="user", website=True, sitemap=False
    )
    def iap_credits_purchase(self, tx_id, access_token=None, **kwargs):
        """The landing page after payment: the state of the purchase and the new balance.

        It never moves credits (a GET must change nothing): the stock status page
        post-processes the payment before it redirects here. A confirmed payment whose
        post-processing has not run yet (e.g. the status page was skipped) is shown as
        being processed, and the post-processing cron is woken up to grant it.
        """
        self._iap_credits_use_user_lang()
        try:
            tx_sudo = request.env["payment.transaction"].sudo().browse(tx_id).exists()
            if not tx_sudo or not tx_sudo.iap_credit_account_id:
                raise MissingError(request.env._("This credit purchase does not exist."))
            account, _company = self._iap_credits_check_account(tx_sudo.iap_credit_account_id.id)
            if not payment_utils.check_access_token(
                access_token, tx_sudo.partner_id.id, tx_sudo.amount, tx_sudo.currency_id.id
            ):
                raise AccessError(request.env._("This link to a credit purchase is invalid."))
        except (AccessError, MissingError) as error:
            return self._iap_credits_refusal(error)
        return self._iap_credits_confirmation(
            "iap_credits.buy_credits_confirmation", tx_sudo, account, self._iap_credits_back_url(account)
        )

    # ------------------------------------------------------------
    # TRANSACTION
    # ------------------------------------------------------------

    @http.route("/iap_credits/transaction/<int:account_id>/<int:pack_id>", type="jsonrpc", auth="user")
    def iap_credits_transaction(self, account_id, pack_id, amount=None, access_token=None, **kwargs):
        """Create the draft payment transaction of a pack and return its processing values.

        The amount, currency, partner and credits come from the pack and the user, never
        from the request; the amount sent by the form must still be the pack's price.

        :raise ValidationError: on any invalid parameter, with a message shown by the form
        """
        try:
            account, company = self._iap_credits_check_account(account_id)
            pack = self._iap_credits_check_pack(account, company, pack_id)
        except (AccessError, MissingError) as error:
            raise ValidationError(str(error)) from error
        partner_sudo = request.env.user.partner_id
        amount = self._cast_as_float(amount)
        if amount is None or pack.currency_id.compare_amounts(amount, pack.price) != 0:
            raise ValidationError(
                request.env._("The amount to pay does not match the price of the pack. Reload the page and try again.")
            )
        if not payment_utils.check_access_token(access_token, partner_sudo.id, pack.price, pack.currency_id.id):
            raise ValidationError(request.env._("The payment form has expired. Reload the page and try again."))
        self._validate_transaction_kwargs(kwargs, additional_allowed_keys=("reference_prefix",))
        if kwargs.get("is_validation"):
            raise ValidationError(request.env._("A credit pack must be paid, not just validated."))
        provider_sudo = request.env["payment.provider"].sudo().browse(self._cast_as_int(kwargs.get("provider_id")))
        if not provider_sudo.exists() or provider_sudo.company_id != company or provider_sudo.state == "disabled":
            raise ValidationError(request.env._("This payment provider cannot be used for this purchase."))
        # The reference names what is bought, whatever the form sent.
        kwargs["reference_prefix"] = payment_utils.singularize_reference_prefix(prefix="CREDITS")
        tx_sudo = self._create_transaction(
            amount=pack.price,
            currency_id=pack.currency_id.id,
            partner_id=partner_sudo.id,
            custom_create_values={
                "iap_credit_account_id": account.id,
                "iap_credit_pack_id": pack.id,
                "iap_credits": pack.total_credits,
            },
            **kwargs,
        )
        tx_sudo.landing_route = f"/iap_credits/purchase/{tx_sudo.id}?{url_encode({'access_token': access_token})}"
        return tx_sudo._get_processing_values()

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    @staticmethod
    def _iap_credits_check_account(account_id):
        """Return the local account the current user may buy credits for, and its company.

        :raise AccessError: when the user is not an IAP credit manager
        :raise MissingError: when the account does not exist, is not visible to the user
            (another company) or does not use local credits: the three look alike, so that
            nothing leaks about other companies' accounts
        """
        env = request.env
        if not env.user.has_group(MANAGER_GROUP):
            raise AccessError(env._("Only IAP credit managers can buy credits. Ask your administrator."))
        account = env["iap.account"].browse(account_id).exists() if isinstance(account_id, int) else None
        if not account or not account.has_access("read"):
            raise MissingError(env._("This IAP account does not exist or is not accessible to you."))
        if account.credit_mode != "local":
            raise MissingError(
                env._(
                    "The account %(account)s uses Odoo IAP: its credits are bought on Odoo's website.",
                    account=account.display_name,
                )
            )
        if not account.service_id.has_local_engine:
            # A local account left without an engine (e.g. by an older version): its credits
            # could never be spent here.
            raise MissingError(
                env._(
                    "%(service)s has no local engine in this database: the credits of %(account)s are "
                    "bought from Odoo IAP.",
                    service=account.service_id.name,
                    account=account.display_name,
                )
            )
        companies = account.company_ids
        # The current company when the account is shared with it, else one of the account's
        # companies the user is working in.
        company = env.company if not companies or env.company in companies else (companies & env.companies)[:1]
        if not company:
            raise MissingError(env._("This IAP account does not exist or is not accessible to you."))
        return account, company

    @staticmethod
    def _iap_credits_check_pack(account, company, pack_id):
        """Return the pack ``pack_id`` if it is offered to ``account`` in ``company``.

        :raise MissingError: for an unknown or archived pack, or a pack of another service,
            company or currency
        """
        pack = request.env["iap.credit.pack"].browse(pack_id) if isinstance(pack_id, int) else None
        if not pack or pack not in request.env["iap.credit.pack"]._get_offered_packs(account, company):
            raise MissingError(
                request.env._(
                    "This credit pack is not offered for the account %(account)s.", account=account.display_name
                )
            )
        return pack

    @staticmethod
    def _iap_credits_use_user_lang():
        """Speak the logged-in user's language on the purchase pages.

        They are opened from the back end (Buy Credit, the links of SMS and alert messages),
        whose language is the user's preference, while the frontend routing takes the
        ``frontend_lang`` cookie first, which any earlier website or portal page may have
        left in another language. The cookie follows, so that the stock payment pages of
        the purchase (payment status) speak the same language.
        """
        lang = request.env["res.lang"]._get_data(code=request.env.user.lang or "")
        if not lang.code:  # the user's language is not active (any more)
            return
        if lang.code != request.env.lang:
            request.lang = lang
            request.update_context(lang=lang.code)
        if request.cookies.get("frontend_lang") != lang.code:
            request.future_response.set_cookie("frontend_lang", lang.code)

    @staticmethod
    def _iap_credits_access_token(partner, pack):
        """The stock payment access token, over the values the transaction route checks."""
        return payment_utils.generate_access_token(partner.id, pack.price, pack.currency_id.id)

    @staticmethod
    def _iap_credits_confirmation(template, tx_sudo, account, back_url):
        """The landing page of a purchase: it moves nothing; a paid transaction not yet
        post-processed has the stock post-processing job triggered, which grants it."""
        if tx_sudo.state == "done" and not tx_sudo.is_post_processed:
            request.env.ref("payment.cron_post_process_payment_tx").sudo()._trigger()
        account.invalidate_recordset()
        return request.render(
            template,
            {
                "tx": tx_sudo,
                "account": account,
                "ledger_row": tx_sudo._iap_credits_ledger_row(),
                "res_company": tx_sudo.company_id,
                "back_url": back_url,
            },
        )

    @staticmethod
    def _iap_credits_back_url(account):
        return f"/odoo/action-iap.iap_account_action/{account.id}"

    @staticmethod
    def _iap_credits_refusal(error):
        status = 403 if isinstance(error, AccessError) else 404
        return request.render(
            "iap_credits.buy_credits_refusal",
            {"message": str(error), "res_company": request.env.company},
            status=status,
        )
