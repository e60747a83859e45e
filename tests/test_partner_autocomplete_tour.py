# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The user journey in a real browser: new contact → type a company name → pick a
suggestion → the contact is filled, and the local balance dropped by one credit."""

from odoo.tests import HttpCase, tagged

from .common_autocomplete import AutocompleteMixin


@tagged("post_install", "-at_install")
class TestPartnerAutocompleteTour(AutocompleteMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_autocomplete()

    def _balance(self):
        self.ac_account.invalidate_recordset()
        return self.ac_account.credit_balance, self.ac_account.credit_reserved

    def test_autocomplete_a_new_contact(self):
        self.ac_account._credits_grant(10, "Welcome")
        self.start_tour("/odoo/contacts/new", "iap_credits_partner_autocomplete", login="admin")
        partner = self.env["res.partner"].search([("name", "=", self.entry.name)])
        self.assertEqual(len(partner), 1, "the widget saved the contact")
        self.assertEqual(
            (partner.street, partner.street2, partner.zip, partner.city), ("77 Ink Lane", "Unit 4", "93721", "Fresno")
        )
        self.assertEqual(
            (partner.country_id, partner.state_id), (self.env.ref("base.us"), self.env.ref("base.state_us_5"))
        )
        self.assertEqual((partner.vat, partner.phone), ("US12-3456789", "+1 559-555-0177"))
        self.assertEqual(partner.email, "hello@quillfeather-stationers.com")
        self.assertEqual(partner.website, "https://www.quillfeather-stationers.com")
        self.assertTrue(partner.image_1920, "the directory's logo")
        self.assertEqual(self._balance(), (9, 0), "the balance dropped by one credit")

    def test_no_credit_offers_to_buy(self):
        self.ac_account._credits_grant(0.5, "Not enough for one enrichment")
        self.start_tour("/odoo/contacts/new", "iap_credits_partner_autocomplete_no_credit", login="admin")
        partner = self.env["res.partner"].search([("name", "=", self.entry.name)])
        self.assertEqual(len(partner), 1, "the widget saved the contact with the picked name")
        self.assertFalse(partner.street or partner.city or partner.vat or partner.phone, "nothing was enriched")
        self.assertFalse(partner.country_id or partner.website or partner.email)
        self.assertEqual(self._balance(), (0.5, 0))
