# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Segment, price and number arithmetic: plain Python, no database."""

from odoo.tests.common import BaseCase

from ..tools.sms_numbers import format_e164
from ..tools.sms_segments import sms_encoding, sms_length, sms_price, sms_rate, sms_segments


class TestSmsSegments(BaseCase):
    def test_gsm7_single_and_multipart(self):
        self.assertEqual(sms_encoding("Hello @ £5 \u2013 no"), "ucs2", "an en dash is not GSM-7")
        self.assertEqual(sms_encoding("Hello @ £5, Ça va? Ñ"), "gsm7")
        self.assertEqual(sms_encoding("ça"), "ucs2", "only the capital Ç is GSM-7")
        self.assertEqual(sms_segments(""), 1)
        self.assertEqual(sms_segments("a" * 160), 1)
        self.assertEqual(sms_segments("a" * 161), 2)
        self.assertEqual(sms_segments("a" * 306), 2)
        self.assertEqual(sms_segments("a" * 307), 3)
        self.assertEqual(sms_segments("a" * 459), 3)
        self.assertEqual(sms_segments("a" * 460), 4)

    def test_gsm7_extension_characters_take_two_septets(self):
        self.assertEqual(sms_encoding("Price: 5€ [promo] {x} ~ ^ | \\"), "gsm7")
        self.assertEqual(sms_length("€"), 2)
        self.assertEqual(sms_segments("€" * 80), 1, "80 times 2 septets = 160")
        self.assertEqual(sms_segments("€" * 81), 2)
        # 152 septets then a 2-septet character: it does not straddle the parts.
        self.assertEqual(sms_segments("a" * 152 + "€" + "a" * 152), 3)
        self.assertEqual(sms_segments("a" * 151 + "€" + "a" * 153), 2)

    def test_ucs2_single_and_multipart(self):
        self.assertEqual(sms_encoding("Привет"), "ucs2")
        self.assertEqual(sms_segments("ж" * 70), 1)
        self.assertEqual(sms_segments("ж" * 71), 2)
        self.assertEqual(sms_segments("ж" * 134), 2)
        self.assertEqual(sms_segments("ж" * 135), 3)
        # One non-GSM character turns the whole message to UCS-2.
        self.assertEqual(sms_segments("a" * 70 + "✓"), 2)

    def test_ucs2_surrogate_pairs(self):
        self.assertEqual(sms_length("😀"), 2)
        self.assertEqual(sms_segments("😀" * 35), 1)
        self.assertEqual(sms_segments("😀" * 36), 2)
        # 66 units then an emoji (2 units): it starts the next part.
        self.assertEqual(sms_segments("ж" * 66 + "😀" + "ж" * 66), 3)

    def test_rates_and_price(self):
        rates = {"+32": 1.5, "+3247": 2.0, "+33": 0.8}
        self.assertEqual(sms_rate("+32470123456", 1.0, rates), 2.0, "the longest prefix wins")
        self.assertEqual(sms_rate("+3221234567", 1.0, rates), 1.5)
        self.assertEqual(sms_rate("+14155550123", 1.0, rates), 1.0, "no prefix: the unit price")
        self.assertEqual(sms_rate("+3221234567", 1.0, None), 1.0)
        self.assertEqual(sms_price("a" * 161, "+33612345678", 1.0, rates), 1.6)
        self.assertEqual(sms_price("ж" * 135, "+14155550123", 0.5, rates), 1.5)


class TestSmsNumbers(BaseCase):
    def test_e164(self):
        self.assertEqual(format_e164("0470 12 34 56", "BE"), "+32470123456")
        self.assertEqual(format_e164("0470 12 34 56", "be"), "+32470123456")
        self.assertEqual(format_e164("+32 470 12 34 56", "FR"), "+32470123456", "international wins")
        self.assertEqual(format_e164("0032470123456", "FR"), "+32470123456")
        self.assertEqual(format_e164("06 12 34 56 78", "FR"), "+33612345678")

    def test_invalid_or_missing(self):
        self.assertIsNone(format_e164(False, "BE"))
        self.assertIsNone(format_e164("   ", "BE"))
        self.assertIsNone(format_e164("12", "BE"))
        self.assertIsNone(format_e164("not a number", "BE"))
        self.assertIsNone(format_e164("0470 12 34 56", None), "a national number needs a country")
