# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""19.0.1.1.0 brings the service catalog: only services with a local engine may use local
credits and sell credit packs. Earlier versions created every account in *Local credits*
mode and the demo sold Lead Generation packs: such accounts go back to *Odoo IAP* (the
stock behaviour) and their packs stop being sold."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["iap.account"]._catalog_apply()
