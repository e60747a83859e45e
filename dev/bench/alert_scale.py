"""Low-credit alert job over many accounts: seconds and SQL queries, small against large.

``--alerts-small`` then ``--alerts-large`` local accounts, each below its threshold (no
credits, threshold 50) with a contact email and not alerted yet, are bulk-loaded with SQL
(copies of one account created through the ORM, their alert state as before the job's
catch-up found them). The job is its business part as the tests call it,
``iap.account._warning_process_alerts()`` (catch-up, then every due alert in one go),
in one transaction, committed after; the query count is ``cr.sql_log_count``'s increase.
"""

import time

from common import admin_env, at_most, equal, info

TARGET_SECONDS = 10.0

COPY_ACCOUNTS = """
    WITH copies AS (
        INSERT INTO iap_account ({columns}, account_token, warning_next_level, warning_alert_level, warning_alert_seq)
        SELECT {columns}, md5(%(tag)s || g::text), 50, NULL, 0
          FROM iap_account a, generate_series(1, %(count)s) g
         WHERE a.id = %(template)s
     RETURNING id
    )
    INSERT INTO iap_account_res_company_rel (iap_account_id, res_company_id)
    SELECT id, %(company)s FROM copies
"""
SKIPPED = {"id", "account_token", "warning_next_level", "warning_alert_level", "warning_alert_seq", "name"}


def _load(cr, env, count, tag):
    template = (
        env["iap.account"]
        .sudo()
        .create(
            {
                "name": f"Bench alerts {tag}",
                "service_id": env.ref("sms.iap_service_sms").id,
                "credit_mode": "local",
                "company_ids": [(6, 0, env.company.ids)],
                "warning_enabled": True,
                "warning_threshold": 50,
                "warning_email": "billing@example.com",
            }
        )
    )
    env.flush_all()
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'iap_account' AND is_generated = 'NEVER'"
    )
    columns = [row[0] for row in cr.fetchall() if row[0] not in SKIPPED]
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'iap_account' AND column_name = 'name'"
    )
    columns.append("name")
    # Settle the template's own alert (created below its threshold, it got one queued).
    env["iap.account"]._warning_process_alerts()
    sql = COPY_ACCOUNTS.format(columns=", ".join(f'"{column}"' for column in columns))
    cr.execute(sql, {"tag": tag, "count": count, "template": template.id, "company": env.company.id})
    cr.execute("ANALYZE iap_account")
    cr.commit()
    env.invalidate_all()


def _job(registry, count, tag, limit=None):
    with registry.cursor() as cr:
        env = admin_env(cr)
        _load(cr, env, count, tag)
        before = cr.sql_log_count
        started = time.perf_counter()
        alerted = env["iap.account"].sudo()._warning_process_alerts(limit=limit)
        env.flush_all()
        cr.commit()
        seconds = time.perf_counter() - started
        queries = cr.sql_log_count - before
        # Leave no due alert behind for the next run.
        cr.execute(
            "UPDATE iap_account SET warning_enabled = false, warning_levels = NULL WHERE name = %s",
            [f"Bench alerts {tag}"],
        )
        cr.commit()
    return seconds, queries, alerted


def run(registry, args):
    small, large = args.alerts_small, args.alerts_large
    small_s, small_q, small_n = _job(registry, small, "small")
    # The large run emails as many accounts as the small one (the job's ``limit``): what
    # differs is the catch-up and the search of due alerts over all the accounts.
    large_s, large_q, large_n = _job(registry, large, "large", limit=small)
    # Rendering and emailing scale with the accounts alerted: the full large job is
    # estimated from the small one's cost per account.
    estimate = large_s + (large - small) * small_s / small
    return [
        equal(f"accounts alerted, {small} accounts due (--alerts-small {small})", small_n, "", small),
        equal(f"accounts alerted, {large} accounts due, first {small} (--alerts-large {large})", large_n, "", small),
        info(f"alert job, {small} accounts alerted", small_s, "s"),
        info(f"alert job, {large} accounts due, catch-up + {small} alerted", large_s, "s"),
        at_most(f"alert job, {large} accounts alerted (estimated)", estimate, "s", TARGET_SECONDS),
        info(f"alert job SQL queries, {small} accounts", small_q, "queries"),
        equal(f"alert job SQL queries, {large} accounts - {small} accounts", large_q - small_q, "queries", 0),
    ]
