# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Plain helpers of the low-credit alerts: parsing the levels and the addresses an
administrator types, and the normalized level list the database compares against.

They need no ORM, so they are unit-tested alone (``tests/test_credit_alert.py``).
"""

import math
import re

_SEPARATORS = re.compile(r"[,;\s]+")


def parse_thresholds(text):
    """Parse a list of thresholds typed by a person, e.g. ``"500, 200 100"``.

    :param str text: numbers separated by commas, semicolons or spaces (may be empty)
    :return: the numbers, in the order typed
    :raise ValueError: on the first token that is not a number ≥ 0 (its text as argument)
    """
    levels = []
    for token in _SEPARATORS.split(text or ""):
        if not token:
            continue
        try:
            level = float(token)
        except ValueError:
            raise ValueError(token) from None
        if not math.isfinite(level) or level < 0:
            raise ValueError(token)
        levels.append(level)
    return levels


def split_addresses(text):
    """Split a list of email addresses separated by commas or semicolons.

    :return: the non-empty parts, stripped, in the order typed
    """
    return [part.strip() for part in re.split(r"[,;]", text or "") if part.strip()]


def alert_levels(threshold, extra_thresholds):
    """The distinct levels that raise an alert, highest first.

    A level of zero never raises one: available credits never go below zero.

    :param float threshold: the main warning threshold
    :param str extra_thresholds: the earlier warnings, as typed (see :func:`parse_thresholds`)
    """
    levels = {threshold or 0.0, *parse_thresholds(extra_thresholds)}
    return sorted((round(level, 4) for level in levels if level > 0), reverse=True)


def format_levels(levels):
    """The levels as stored for the database (``"500,200,50"``), or False when none."""
    return ",".join(repr(float(level)) for level in levels) or False
