# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""19.0.1.2.0 prices letters per destination country and colour, and keeps on each Post
Outbox row the price of the letter (charged or not) beside the credits charged. The rows
posted before have no price yet: a letter the provider accepted (or accepted, then
cancelled) cost what it was charged; a letter refused or failed gets the price it would
have had with the prices of the time, those of the service (there were no rates per
country). The prices themselves do not change: the colour surcharge of an existing
database is zero until an administrator sets one."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    posts = env["iap.snailmail.post"].with_context(active_test=False).search([("price", "=", 0)])
    charged = posts.filtered(lambda post: post.state in ("accepted", "cancelled"))
    for credits, group in charged.grouped("credits").items():
        group.price = credits
    failed = posts - charged
    for (service, pages), group in failed.grouped(lambda post: (post.account_id.service_id, post.pages)).items():
        if service:
            group.price = service._snailmail_letter_price(pages)
