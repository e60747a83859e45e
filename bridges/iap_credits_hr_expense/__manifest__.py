# Part of iap_credits. See LICENSE file for full copyright and licensing details.
{
    "name": "IAP Credits (local): Expense Receipts",
    "version": "19.0.1.0.0",
    "category": "Hidden/Tools",
    "summary": "Digitize expense receipts (phone photos, scans, PDFs) with the local Document Digitization credits",
    "description": """
Bridge between IAP Credits (local) and Expenses: a Digitize button on expenses, and the
automatic digitization of receipts uploaded in Expenses or emailed to the expense alias.
Merchant, date, total, currency, tax and category are read from the receipt into the empty
fields of the expense, one credit per receipt, through the same queue and price as vendor
bills. Installed by itself when both apps are.
""",
    "author": "iap_credits contributors",
    "website": "https://github.com/iap-credits/iap_credits",
    "license": "LGPL-3",
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
