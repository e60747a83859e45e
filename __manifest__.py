# Part of iap_credits. See LICENSE file for full copyright and licensing details.
{
    "name": "IAP Credits (local)",
    "version": "19.0.1.1.0",
    "category": "Hidden/Tools",
    "summary": "Prepaid In-App Purchase credits kept in your own database: "
    "ledger, credit packs, SMS gateways, document digitization and low-credit alerts",
    "author": "iap_credits contributors",
    "website": "https://github.com/iap-credits/iap_credits",
    "license": "LGPL-3",
    "depends": [
        "iap",
        "iap_mail",
        "sms",
        "phone_validation",
        "payment",
        "contacts",
        "account",
        # Snail mail: the stock letters of Send & Print "by Post" (auto-installed with invoicing).
        "snailmail_account",
    ],
    "external_dependencies": {
        "python": [
            "phonenumbers",
            "twilio",
            "pytesseract",
            "pdf2image",
            "pypdf",
            "dateparser",
            "price_parser",
            "python-stdnum",
            "postgrid-python",
        ],
    },
    "data": [
        "security/iap_credits_security.xml",
        "security/ir.model.access.csv",
        "data/decimal_precision_data.xml",
        "data/ir_cron_data.xml",
        "data/ir_config_parameter_data.xml",
        "views/iap_account_views.xml",
        "views/iap_credit_transaction_views.xml",
        "wizard/iap_credit_adjustment_views.xml",
        "views/iap_credit_pack_views.xml",
        # SMS through local credits and gateways
        "security/iap_credits_sms_security.xml",
        "views/iap_sms_gateway_views.xml",
        "views/iap_sms_message_views.xml",
        "views/iap_sms_rate_views.xml",
        "views/iap_account_sms_views.xml",
        "views/res_partner_views.xml",
        "wizard/sms_composer_views.xml",
        "views/credit_purchase_templates.xml",
        "data/mail_template_data.xml",
        "views/iap_account_alert_views.xml",
        "data/iap_service_data.xml",
        "views/account_move_views.xml",
        "views/iap_account_digitization_views.xml",
        # Snail mail through local credits and print-and-mail providers
        "security/iap_credits_snailmail_security.xml",
        "views/iap_snailmail_gateway_views.xml",
        "views/iap_snailmail_post_views.xml",
        "views/iap_account_snailmail_views.xml",
        # Menus last: they point at the actions of every view file above.
        "views/menus.xml",
    ],
    "demo": [
        "demo/iap_credits_demo.xml",
        "demo/iap_credit_pack_demo.xml",
        "demo/iap_credits_sms_demo.xml",
        "demo/iap_digitization_demo.xml",
        "demo/iap_credits_snailmail_demo.xml",
        # after every demo account: the alerts of the accounts that already run low
        "demo/iap_credits_alert_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "iap_credits/static/src/core/**/*",
        ],
        "web.assets_tests": [
            "iap_credits/static/tests/tours/**/*",
        ],
    },
    "pre_init_hook": "_pre_init_iap_credits",
}
