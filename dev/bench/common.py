"""Helpers shared by the benchmarks: Odoo start-up, timing statistics, figures."""

import statistics
import time
from dataclasses import dataclass, field

# Credits moved by the benchmarks are recorded under this description, so that the rows
# the benchmark wrote are easy to tell from others when reading a bench database.
DESCRIPTION = "bench"


def start_odoo(config_file, database):
    """Parse the Odoo configuration and load the registry of ``database``.

    Called once per OS process (the contention workers each load their own registry).
    """
    from odoo.tools import config

    config.parse_config(["-c", config_file, "--log-level=warn"], setup_logging=True)
    from odoo.modules.registry import Registry

    return Registry(database)


def admin_env(cr):
    """The environment of the administrator, as an Odoo request of that user has it.

    Not the superuser: the access checks of a real request are part of what is measured.
    """
    from odoo import SUPERUSER_ID, api

    env = api.Environment(cr, SUPERUSER_ID, {})
    return env(user=env.ref("base.user_admin").id, context={"tracking_disable": True})


def median_ms(samples):
    return statistics.median(samples) * 1000


def p99_ms(samples):
    return statistics.quantiles(samples, n=100, method="inclusive")[98] * 1000


class Stopwatch:
    """``with stopwatch:`` appends the duration of the block (seconds) to ``samples``."""

    def __init__(self):
        self.samples = []

    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.samples.append(time.perf_counter() - self._start)
        return False


@dataclass
class Figure:
    """One line of the table and one object of the JSON file.

    ``target`` is a human-readable bound (``"<= 5"``), or None for a figure reported to
    explain another one; ``met`` is then None too.
    """

    name: str
    value: float | int | str | None
    unit: str
    target: str | None = None
    met: bool | None = None
    extra: dict = field(default_factory=dict)

    def as_json(self):
        return {"name": self.name, "value": self.value, "unit": self.unit, "target": self.target, "met": self.met}


def at_most(name, value, unit, bound):
    return Figure(name, round(value, 3), unit, f"<= {bound:g}", bool(value <= bound))


def at_least(name, value, unit, bound):
    return Figure(name, round(value, 3), unit, f">= {bound:g}", bool(value >= bound))


def equal(name, value, unit, expected):
    return Figure(name, value, unit, f"== {expected:g}", bool(value == expected))


def info(name, value, unit):
    return Figure(name, round(value, 3) if isinstance(value, float) else value, unit)


def not_measured(name, why):
    return Figure(name, None, "", f"not measured: {why}", False)
