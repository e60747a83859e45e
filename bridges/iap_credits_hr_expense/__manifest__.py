# Part of iap_credits. See LICENSE file for full copyright and licensing details.
{
    "name": "IAP Credits (local): Expense Receipts",
    "version": "19.0.1.0.0",
    "category": "Hidden/Tools",
    "summary": "Digitize expense receipts (phone photos, scans, PDFs) with the local Document Digitization credits",
    "author": "iap_credits contributors",
    "maintainers": ["iap-credits"],
    "website": "https://github.com/iap-credits/iap_credits",
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["iap_credits", "hr_expense"],
    "auto_install": True,
    "data": [
        "views/hr_expense_views.xml",
        "views/iap_account_views.xml",
    ],
    "demo": [
        "demo/hr_expense_demo.xml",
    ],
}
