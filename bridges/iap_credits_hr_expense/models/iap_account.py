# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import fields, models


class IapAccount(models.Model):
    _inherit = "iap.account"

    # Written by IAP credit managers only, like Digitize Uploaded Bills: plain users have no
    # write access to accounts at all.
    digitization_auto_receipts = fields.Boolean(
        string="Digitize Uploaded Receipts",
        help="Queue every expense created by uploading a receipt in Expenses, or by emailing one to the "
        "expense alias, for digitization without waiting for the Digitize button.",
    )
