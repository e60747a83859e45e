"""SMS throughput: the stock queue job through the metering and the sandbox gateway,
against stock Odoo's own IAP path for the same SMS, same database, same run.

Both sides queue ``--sms`` `sms.sms` (state outgoing, distinct valid numbers) with SQL and
run the business part of the stock cron ``sms.sms._process_queue`` (search a batch, lock
it, ``_send``), committing between batches as the cron does. Metered: the company's SMS
account is local with the sandbox gateway. Stock: the same account switched to
``credit_mode='odoo'``, and stock ``SmsApi._contact_iap`` (Odoo's network call, not this
addon's code) replaced in this process only by the answer Odoo's IAP server gives: state
``success`` and 1 credit per SMS, as ``sms.tests.common.mockSMSGateway`` answers.

The SMS are sent in ``--sms-rounds`` rounds, each side sending its share of them (whole
batches) in each round, in the order metered, stock, stock, metered, ... (ABBA): on a
machine whose load changes during the run (other jobs), both sides meet the same load, as
the charge latency and its floor alternate one by one. Each side's throughput is its SMS
over its seconds.
"""

import time

from common import DESCRIPTION, admin_env, at_least, equal, info

TARGET_RATIO = 0.8

QUEUE = """
    INSERT INTO sms_sms (uuid, number, body, state, to_delete, create_uid, create_date, write_uid, write_date)
    SELECT md5(%s || g::text), '+32470' || lpad(g::text, 6, '0'), %s, 'outgoing', false,
           %s, now() at time zone 'UTC', %s, now() at time zone 'UTC'
      FROM generate_series(1, %s) g
"""


def stock_answer(self, local_endpoint, params, timeout=15):
    """Odoo IAP's answer to /api/sms/3/send: every SMS accepted, 1 credit each."""
    return [
        {"uuid": number["uuid"], "state": "success", "credit": 1}
        for message in params["messages"]
        for number in message["numbers"]
    ]


def _drain(registry, company_id, count, tag):
    """Queue ``count`` SMS and send them all as the cron does; return (seconds, sent)."""
    with registry.cursor() as cr:
        env = admin_env(cr)
        cr.execute(QUEUE, [tag, f"Bench SMS {tag}", env.uid, env.uid, count])
        cr.commit()
        env = env(context=dict(env.context, allowed_company_ids=[company_id]))
        sms_model = env["sms.sms"].sudo()
        domain = [("state", "=", "outgoing"), ("to_delete", "!=", True)]
        size = sms_model._get_send_batch_size()
        started = time.perf_counter()
        while True:
            records = sms_model.search(domain, limit=size, order="id").try_lock_for_update()
            if not records:
                break
            records._send(unlink_failed=False, unlink_sent=True, raise_exception=False)
            cr.commit()
            env.invalidate_all()
        seconds = time.perf_counter() - started
        cr.execute(
            "SELECT count(*) FROM sms_sms WHERE body = %s AND state IN ('pending', 'sent') AND to_delete",
            [f"Bench SMS {tag}"],
        )
        sent = cr.fetchone()[0]
        cr.execute("DELETE FROM sms_sms WHERE body = %s", [f"Bench SMS {tag}"])
        cr.commit()
    return seconds, sent


def run(registry, args):
    count = args.sms
    with registry.cursor() as cr:
        env = admin_env(cr)
        company = env["res.company"].sudo().create({"name": "Bench SMS company", "country_id": env.ref("base.be").id})
        env.user.sudo().company_ids = [(4, company.id)]
        gateway = env["iap.sms.gateway"].sudo().create({"name": "Bench sandbox", "code": "sandbox"})
        account = (
            env["iap.account"]
            .sudo()
            .create(
                {
                    "name": "Bench SMS",
                    "service_id": env.ref("sms.iap_service_sms").id,
                    "credit_mode": "local",
                    "company_ids": [(6, 0, company.ids)],
                    "sms_gateway_id": gateway.id,
                }
            )
        )
        account._credits_grant(count, DESCRIPTION)
        assert company._iap_credits_sms_account() == account, "the bench account must pay for the company's SMS"
        cr.commit()
        company_id, account_id = company.id, account.id

    from odoo.addons.sms.tools.sms_api import SmsApi

    original = SmsApi._contact_iap
    with registry.cursor() as cr:
        size = admin_env(cr)["sms.sms"]._get_send_batch_size()
    # Whole batches a round: a round ending on a short batch would weigh a batch's fixed
    # costs (the metering's hold and capture) on fewer SMS than the stock batch size.
    batches = -(-count // size)
    rounds = max(1, min(args.sms_rounds, batches))
    shares = [size * (batches // rounds + (1 if index < batches % rounds else 0)) for index in range(rounds)]
    shares[-1] -= sum(shares) - count
    totals = {"metered": [0.0, 0], "stock": [0.0, 0]}
    for index, share in enumerate(shares):
        order = ("metered", "stock") if index % 2 == 0 else ("stock", "metered")
        for side in order:
            with registry.cursor() as cr:
                admin_env(cr)["iap.account"].sudo().browse(account_id).credit_mode = (
                    "local" if side == "metered" else "odoo"
                )
                cr.commit()
            SmsApi._contact_iap = stock_answer if side == "stock" else original
            try:
                seconds, sent = _drain(registry, company_id, share, f"{side}-{index}")
            finally:
                SmsApi._contact_iap = original
            totals[side][0] += seconds
            totals[side][1] += sent
    with registry.cursor() as cr:
        balance = admin_env(cr)["iap.account"].sudo().browse(account_id).credit_balance
    (metered_s, metered_sent), (stock_s, stock_sent) = totals["metered"], totals["stock"]

    metered_rate, stock_rate = metered_sent / metered_s, stock_sent / stock_s
    params = f"--sms {count} --sms-rounds {rounds}"
    return [
        equal(f"SMS sent, metered ({params})", metered_sent, "SMS", count),
        equal(f"SMS sent, stock ({params})", stock_sent, "SMS", count),
        equal(f"credits charged - credits of sent SMS ({params})", round(count - balance - metered_sent, 6), "cr", 0),
        info(f"SMS throughput, sandbox gateway, metered ({params})", metered_rate, "SMS/s"),
        info(f"SMS throughput, stock IAP path, answer in-process ({params})", stock_rate, "SMS/s"),
        at_least(f"SMS throughput metered / stock ({params})", metered_rate / stock_rate, "x", TARGET_RATIO),
    ]
