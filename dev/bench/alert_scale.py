"""Low-credit alert job: cost per alerted account against stock ``send_mail``, and SQL queries.

Local accounts below their threshold (no credits, threshold 50, a contact email), not
alerted yet, are bulk-loaded with SQL (copies of one account created through the ORM,
their alert state as before the job's catch-up found them). Then, in the same run:

* **stock**: ``mail.template.send_mail(res_id)`` with the alert template, one record a
  call, for ``--alerts-stock`` such accounts, as the administrator (one commit at the
  end): what sending this email costs the stock way;
* **job**: ``--alerts`` due accounts emailed by the alert job as its scheduled action
  runs it (``_cron_credit_alerts``: the catch-up, then batches of ``--alerts-batch``
  accounts, a commit after each), less the progress bookkeeping of ``ir.cron``;
* **queries**: one batch of the job with ``--alerts-small`` then ``--alerts-large``
  accounts due: the catch-up and the search of due alerts must not cost more queries
  over more accounts (``cr.sql_log_count``'s increase).
"""

import time

from common import admin_env, at_most, equal, info

TARGET_RATIO = 0.2

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
    """Add ``count`` accounts due an alert, named ``Bench alerts <tag>``; commit."""
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
    columns.append("name")
    # Settle the template's own alert (created below its threshold, it got one queued).
    env["iap.account"]._warning_process_alerts()
    sql = COPY_ACCOUNTS.format(columns=", ".join(f'"{column}"' for column in columns))
    cr.execute(sql, {"tag": tag, "count": count, "template": template.id, "company": env.company.id})
    cr.execute("ANALYZE iap_account")
    cr.commit()
    env.invalidate_all()


def _retire(cr, tag):
    """Leave no due alert behind for the next run."""
    cr.execute(
        """
        UPDATE iap_account SET warning_enabled = false, warning_levels = NULL, warning_next_level = NULL,
                               warning_alert_level = NULL, warning_alert_seq = 0
         WHERE name = %s
        """,
        [f"Bench alerts {tag}"],
    )
    cr.commit()


def _stock(registry, count):
    """Stock ``send_mail`` of the alert template, one account a call: seconds per account."""
    with registry.cursor() as cr:
        env = admin_env(cr)
        _load(cr, env, count + 1, "stock")
        # Accounts as the job sees them: their crossing recorded (level alerted, sequence).
        env["iap.account"]._warning_update_states()
        cr.commit()
        cr.execute("SELECT id FROM iap_account WHERE name = 'Bench alerts stock' AND warning_alert_seq > 0 ORDER BY id")
        ids = [row[0] for row in cr.fetchall()]
        template = env.ref("iap_credits.mail_template_credit_alert")
        template.send_mail(ids[0])  # warm the caches, as the job's batches warm theirs
        env.flush_all()
        started = time.perf_counter()
        for res_id in ids[1 : count + 1]:
            template.send_mail(res_id)
        env.flush_all()
        cr.commit()
        seconds = time.perf_counter() - started
        sent = len(ids[1 : count + 1])
        _retire(cr, "stock")
    return seconds / sent


def _job(registry, count, tag, batch):
    """The scheduled action over ``count`` due accounts: seconds, accounts alerted."""
    with registry.cursor() as cr:
        env = admin_env(cr)
        _load(cr, env, count, tag)
        accounts = env["iap.account"].sudo()
        started = time.perf_counter()
        accounts._warning_update_states()
        cr.commit()
        alerted = 0
        while True:
            sent = accounts._warning_send_due(limit=batch)
            env.flush_all()
            cr.commit()
            alerted += sent
            if sent < batch:
                break
        seconds = time.perf_counter() - started
        _retire(cr, tag)
    return seconds, alerted


def _batch_queries(registry, count, tag, batch):
    """The SQL queries of the catch-up and one batch of the job, ``count`` accounts due."""
    with registry.cursor() as cr:
        env = admin_env(cr)
        _load(cr, env, count, tag)
        before = cr.sql_log_count
        alerted = env["iap.account"].sudo()._warning_process_alerts(limit=batch)
        env.flush_all()
        queries = cr.sql_log_count - before
        cr.commit()
        _retire(cr, tag)
    return queries, alerted


def run(registry, args):
    alerts, batch = args.alerts, args.alerts_batch
    small, large = args.alerts_small, args.alerts_large
    stock_s = _stock(registry, args.alerts_stock)
    job_s, alerted = _job(registry, alerts, "job", batch)
    per_account = job_s / max(alerted, 1)
    small_q, small_n = _batch_queries(registry, small, "small", batch)
    large_q, large_n = _batch_queries(registry, large, "large", batch)
    return [
        equal(f"accounts alerted, {alerts} accounts due (--alerts {alerts})", alerted, "", alerts),
        info(f"stock send_mail, alert template, per record (--alerts-stock {args.alerts_stock})", stock_s * 1000, "ms"),
        info(f"alert job per alerted account, {alerts} alerts (--alerts-batch {batch})", per_account * 1000, "ms"),
        info(f"alert job, {alerts} alerts", job_s, "s"),
        at_most("alert job per account / stock send_mail", per_account / stock_s, "x", TARGET_RATIO),
        equal(f"accounts alerted in one batch, {small} due (--alerts-small {small})", small_n, "", min(batch, small)),
        equal(f"accounts alerted in one batch, {large} due (--alerts-large {large})", large_n, "", min(batch, large)),
        info(f"alert job SQL queries, catch-up + one batch, {small} accounts due", small_q, "queries"),
        info(f"alert job SQL queries, catch-up + one batch, {large} accounts due", large_q, "queries"),
        equal(f"alert job SQL queries, {large} accounts due - {small} accounts due", large_q - small_q, "queries", 0),
    ]
