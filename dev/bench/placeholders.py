"""Benchmarks of features built in parallel, not merged yet: their place in the table.

When a feature lands, replace its placeholder by a real ``run(registry, args)`` in a
module of its own (keep the figure names below, add the options the figures need to
``run.parse_args``) and point ``run.SCENARIOS`` at it.
"""

from common import not_measured

WHY = "feature not merged yet"


def sms_throughput(registry, args):
    """To come with the SMS gateways: SMS sent per second through the sandbox gateway,
    with the charge of each, beside stock Odoo's `sms.sms` queue processing."""
    return [not_measured("SMS throughput, sandbox gateway", WHY)]


def alert_job_scale(registry, args):
    """To come with the low-credit alerts: time of the alert job over many accounts,
    large against small."""
    return [not_measured("low-credit alert job, many accounts, large / small", WHY)]
