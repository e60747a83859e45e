# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Segment, price and number arithmetic: plain Python, no database; the array literals of the
outbox statement, read back by PostgreSQL."""

import random

import phonenumbers

from odoo.exceptions import UserError
from odoo.tests.common import BaseCase, TransactionCase
from odoo.tools import SQL

from odoo.addons.phone_validation.tools.phone_validation import phone_parse

from ..tools.sms_numbers import E164_SHAPE, format_e164, valid_e164
from ..tools.sms_segments import sms_encoding, sms_length, sms_price, sms_rate, sms_segments
from ..tools.sql_arrays import number_array, text_array


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

    def test_e164_short_check_agrees_with_phone_parse(self):
        """The short check of numbers already in E.164 answers what the full `phone_parse` does:
        on every region's example numbers and on altered copies of them (one digit changed,
        one added or removed), valid or not; odd ones (a German +49 00…, a Brazilian number
        without its ninth digit) still get the full parse and its corrections."""
        rng = random.Random(17)
        numbers = set()
        for region in sorted(phonenumbers.SUPPORTED_REGIONS):
            for number_type in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
                example = phonenumbers.example_number_for_type(region, number_type)
                if not example:
                    continue
                digits = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)[1:]
                numbers.add(f"+{digits}")
                for _i in range(5):
                    position = rng.randrange(len(digits))
                    numbers.add(f"+{digits[:position]}{rng.randrange(10)}{digits[position + 1 :]}")
                numbers.update({f"+{digits}{rng.randrange(10)}", f"+{digits[:-1]}"})
        short_valid = 0
        for number in sorted(numbers):
            try:
                expected = phonenumbers.format_number(phone_parse(number, None), phonenumbers.PhoneNumberFormat.E164)
            except UserError:
                expected = None
            self.assertEqual(format_e164(number, "BE"), expected, number)
            if valid_e164(number):
                short_valid += 1
                self.assertEqual(valid_e164(number), expected, number)
        self.assertGreater(short_valid, 300, "most valid numbers go through the short check")
        self.assertEqual(format_e164("+49002345678"), "+492345678", "the full parse still corrects it")
        self.assertIsNone(valid_e164("+49002345678"))

    def test_e164_short_check_agrees_with_phonenumbers(self):
        """The validity test prepared per country code and length answers what
        `phonenumbers.is_possible_number` and `is_valid_number` do, for every number type of
        every region (premium, toll-free, voicemail, ...) and for altered copies of their
        examples: a digit changed, added or removed, random digits after the first ones."""
        rng = random.Random(19)
        numbers = set()
        for region in sorted(phonenumbers.SUPPORTED_REGIONS):
            for number_type in range(12):  # every `PhoneNumberType` with examples
                example = phonenumbers.example_number_for_type(region, number_type)
                if not example:
                    continue
                digits = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)[1:]
                numbers.add(f"+{digits}")
                for _i in range(8):
                    position = rng.randrange(1, len(digits))
                    numbers.add(f"+{digits[:position]}{rng.randrange(10)}{digits[position + 1 :]}")
                    numbers.add(f"+{digits[:position]}{rng.randrange(10)}{digits[position:]}")
                    numbers.add(f"+{digits[:position]}{digits[position + 1 :]}")
                for kept in range(1, 5):
                    tail = "".join(str(rng.randrange(10)) for _digit in digits[kept:])
                    numbers.add(f"+{digits[:kept]}{tail}")
        valid = 0
        for number in sorted(numbers):
            split = next(
                length
                for length in (1, 2, 3, 4)
                if int(number[1 : 1 + length]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE or length == 4
            )
            national = number[1 + split :]
            expected = None
            # Longer than E.164 allows, or with a national 0: the full parse's (None here).
            if split < 4 and national and national[0] != "0" and E164_SHAPE.fullmatch(number):
                parsed = phonenumbers.PhoneNumber(
                    country_code=int(number[1 : 1 + split]), national_number=int(national)
                )
                if phonenumbers.is_possible_number(parsed) and phonenumbers.is_valid_number(parsed):
                    expected = number
            valid += bool(expected)
            self.assertEqual(valid_e164(number), expected, number)
        self.assertGreater(valid, 3000, "valid numbers of every kind were checked")


class TestSqlArrays(TransactionCase):
    def test_literals_read_back_by_postgresql(self):
        texts = ['a"b', None, "NULL", "x,y", "{}", "back\\slash", " padded ", "", "é 💬", "'quoted'", '\\"']
        numbers = [1, None, 2.5, 1e-05, 0.0, 123456789.1234]
        [(read_texts, read_numbers, read_ints, empty)] = self.env.execute_query(
            SQL(
                "SELECT %s::varchar[], %s::numeric[], %s::int[], %s::int[]",
                text_array(texts),
                number_array(numbers),
                number_array([3, None, -4]),
                number_array([]),
            )
        )
        self.assertEqual(read_texts, texts)
        self.assertEqual([None if value is None else float(value) for value in read_numbers], numbers)
        self.assertEqual(read_ints, [3, None, -4])
        self.assertEqual(empty, [])
