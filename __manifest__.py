# Part of iap_credits. See LICENSE file for full copyright and licensing details.
{
    "name": "IAP Credits (local)",
    "version": "19.0.1.0.0",
    "category": "Hidden/Tools",
    "summary": "Prepaid In-App Purchase credits kept in your own database: "
    "ledger, packs, gateways and low-credit alerts",
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
    ],
    "external_dependencies": {
        "python": ["phonenumbers", "pytesseract", "pdf2image", "pypdf", "dateparser", "price_parser", "python-stdnum"],
    },
    "data": [
        "security/iap_credits_security.xml",
        "security/ir.model.access.csv",
        "data/decimal_precision_data.xml",
        "data/ir_cron_data.xml",
        "views/iap_account_views.xml",
        "views/iap_credit_transaction_views.xml",
        "wizard/iap_credit_adjustment_views.xml",
        "views/menus.xml",
        "data/iap_service_data.xml",
        "views/account_move_views.xml",
        "views/iap_account_digitization_views.xml",
    ],
    "demo": [
        "demo/iap_credits_demo.xml",
        "demo/iap_digitization_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "iap_credits/static/tests/tours/digitize_tour.js",
        ],
    },
    "pre_init_hook": "_pre_init_iap_credits",
}
