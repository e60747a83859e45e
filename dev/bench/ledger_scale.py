"""Ledger scale: View My Services and one account form, with a small and a huge ledger.

What the web client asks when an administrator opens Settings → Odoo IAP → View My
Services (``web_search_read`` with the fields of the list view ``iap.iap_account_view_tree``
as inherited) and then an account (``web_read`` with the fields of the form view as
inherited), each in a new transaction with an empty cache, as a request has it; median
over ``--scale-reads`` repetitions. First with ``--ledger-small`` ledger rows on the
account, then with ``--ledger-large`` rows. The rows (holds and their captures, spread
over a year) are bench data, inserted set-based with ``generate_series``; the table's
foreign keys and indexes are dropped during the load and recreated after it, as
PostgreSQL's "Populating a Database" advises, then the table is vacuumed and analysed.
"""

import time

from common import DESCRIPTION, Stopwatch, admin_env, at_most, info, median_ms
from lxml import etree

TARGET_RATIO = 1.2
LIST_LIMIT = 80  # the web client's default page size of a list view
COUNT_LIMIT = 10001  # the web client's count limit of a list view
X2MANY_LIMIT = 40  # the web client's page size of an x2many list without a limit attribute
WARMUP_READS = 3  # repetitions not counted: the registry's and the database's caches warm up


# ------------------------------------------------------------
# WHAT THE WEB CLIENT READS
# ------------------------------------------------------------


def view_spec(env, model_name, view_xmlid, view_type):
    """The ``specification`` the web client sends for a view: its fields, as inherited.

    Many2one and many2many-tags fields read ``display_name``; an x2many shown as an
    embedded list reads that list's fields, paged by its ``limit``.
    """
    view = env.ref(view_xmlid)
    arch = env[model_name].get_views([(view.id, view_type)])["views"][view_type]["arch"]
    return _node_spec(env[model_name], etree.fromstring(arch))


def _node_spec(model, node):
    spec = {"display_name": {}} if node.tag in ("form", "list") else {}
    for child in _own_fields(node):
        field = model._fields.get(child.get("name"))
        if field is None:
            continue
        if field.type == "many2one":
            spec[field.name] = {"fields": {"display_name": {}}}
        elif field.type in ("one2many", "many2many"):
            sub = child.find("list")
            if sub is None:
                spec[field.name] = {"fields": {"display_name": {}}}
            else:
                spec[field.name] = {
                    "fields": _node_spec(model.env[field.comodel_name], sub),
                    "limit": int(sub.get("limit", X2MANY_LIMIT)),
                }
        else:
            spec[field.name] = {}
    return spec


def _own_fields(node):
    """The <field> nodes of this view, not those of the views embedded in its fields."""
    for child in node:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "field":
            yield child
        else:
            yield from _own_fields(child)


# ------------------------------------------------------------
# BENCH DATA
# ------------------------------------------------------------


def add_ledger_rows(registry, account_id, rows):
    """Write a ledger of ``rows`` rows: a grant, then holds of 1 credit each followed by
    their capture (the last hold stays open when ``rows`` is even).

    The account's stored figures are set from its rows afterwards, as `_post` keeps them.
    """
    with registry.cursor() as cr:
        cr.execute("SELECT service_id FROM iap_account WHERE id = %s", [account_id])
        (service_id,) = cr.fetchone()
        cr.execute("SELECT id FROM res_users WHERE login = 'admin'")
        (user_id,) = cr.fetchone()
        cr.execute("SELECT MIN(id) FROM res_company")
        (company_id,) = cr.fetchone()
        dropped = _drop_constraints_and_indexes(cr)
        cr.execute(
            """
            INSERT INTO iap_credit_transaction (account_id, service_id, kind, credits, credits_used, reserved_change,
                balance_after, reserved_after, description, user_id, company_id, date,
                create_uid, create_date, write_uid, write_date)
            SELECT %(account)s, %(service)s, 'grant', %(rows)s, 0, 0, 0, 0, %(description)s, %(user)s, %(company)s,
                   now() at time zone 'UTC' - interval '366 days', %(user)s, now() at time zone 'UTC',
                   %(user)s, now() at time zone 'UTC'
            """,
            {"account": account_id, "service": service_id, "rows": rows, "description": DESCRIPTION,
             "user": user_id, "company": company_id},
        )  # fmt: skip
        cr.execute("SELECT nextval('iap_credit_transaction_id_seq')")
        (base,) = cr.fetchone()
        cr.execute(
            """
            INSERT INTO iap_credit_transaction (id, account_id, service_id, kind, credits, credits_used,
                reserved_change, balance_after, reserved_after, description, reference, idempotency_key,
                hold_id, hold_expires_at, user_id, company_id, date, create_uid, create_date, write_uid, write_date)
            SELECT %(base)s + g, %(account)s, %(service)s,
                   CASE WHEN g %% 2 = 1 THEN 'reservation' ELSE 'capture' END,
                   CASE WHEN g %% 2 = 1 THEN 0 ELSE -1 END,
                   CASE WHEN g %% 2 = 1 THEN 0 ELSE 1 END,
                   CASE WHEN g %% 2 = 1 THEN 1 ELSE -1 END,
                   0, 0, %(description)s, 'bench-' || ((g + 1) / 2),
                   CASE WHEN g %% 2 = 0 THEN 'hold:' || (%(base)s + g - 1) || ':capture' END,
                   CASE WHEN g %% 2 = 0 THEN %(base)s + g - 1 END,
                   CASE WHEN g %% 2 = 1 THEN stamp + interval '1 hour' END,
                   %(user)s, %(company)s, stamp, %(user)s, stamp, %(user)s, stamp
              FROM generate_series(1, %(rows)s) AS g,
                   LATERAL (SELECT now() at time zone 'UTC' - interval '365 days'
                                   + (g * interval '365 days') / %(rows)s AS stamp) AS s
            """,
            {"base": base, "account": account_id, "service": service_id, "description": DESCRIPTION,
             "rows": rows - 1, "user": user_id, "company": company_id},
        )  # fmt: skip
        cr.execute(
            """
            SELECT setval('iap_credit_transaction_id_seq',
                          GREATEST(%s, (SELECT MAX(id) FROM iap_credit_transaction)))
            """,
            [base + rows],
        )
        _recreate(cr, dropped)
        _set_account_figures(cr, account_id)
        cr.commit()
        cr._cnx.autocommit = True
        try:
            cr.execute("VACUUM ANALYZE iap_credit_transaction")
        finally:
            cr._cnx.autocommit = False


def _set_account_figures(cr, account_id):
    """Set the account's stored figures from its ledger, as `_post` would have, after a bulk load."""
    cr.execute(
        """
        UPDATE iap_account a
           SET credit_balance = s.credits, credit_reserved = s.reserved, credit_available = s.credits - s.reserved,
               transaction_count = s.count
          FROM (SELECT SUM(credits) AS credits, SUM(reserved_change) AS reserved, COUNT(*) AS count
                  FROM iap_credit_transaction WHERE account_id = %(account)s) s
         WHERE a.id = %(account)s
        """,
        {"account": account_id},
    )


def _drop_constraints_and_indexes(cr):
    """Drop the ledger's foreign keys, unique constraints and indexes (not its primary key).

    :return: the statements that recreate them
    """
    cr.execute(
        """
        SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
         WHERE conrelid = 'iap_credit_transaction'::regclass AND contype IN ('f', 'u')
        """
    )
    constraints = cr.fetchall()
    cr.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
         WHERE i.tablename = 'iap_credit_transaction'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """
    )
    indexes = cr.fetchall()
    for name, _definition in constraints:
        cr.execute(f'ALTER TABLE iap_credit_transaction DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cr.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in indexes] + [
        f'ALTER TABLE iap_credit_transaction ADD CONSTRAINT "{name}" {definition}' for name, definition in constraints
    ]


def _recreate(cr, statements):
    for statement in statements:
        cr.execute(statement)


# ------------------------------------------------------------
# BENCHMARK
# ------------------------------------------------------------


def measure(registry, account_ids, reads):
    """Median times of the list read and of the form read of each account.

    Each read runs in a fresh transaction with an empty cache; the reads alternate within
    each repetition, so that the machine's noise falls on all of them alike.

    :return: (list median ms, {account id: form median ms})
    """
    list_watch, form_watches = Stopwatch(), {account_id: Stopwatch() for account_id in account_ids}
    for repetition in range(reads + WARMUP_READS):
        for account_id in account_ids[repetition % 2 :] + account_ids[: repetition % 2]:
            with registry.cursor() as cr:
                env = admin_env(cr)
                Account = env["iap.account"]
                list_spec = view_spec(env, "iap.account", "iap.iap_account_view_tree", "list")
                form_spec = view_spec(env, "iap.account", "iap.iap_account_view_form", "form")
                env.invalidate_all()
                start = time.perf_counter()
                result = Account.web_search_read([], list_spec, limit=LIST_LIMIT, count_limit=COUNT_LIMIT)
                list_time = time.perf_counter() - start
                assert result["records"], "View My Services shows no account"
                env.invalidate_all()
                start = time.perf_counter()
                (record,) = Account.browse(account_id).web_read(form_spec)
                form_time = time.perf_counter() - start
                assert record["id"] == account_id
                if repetition >= WARMUP_READS:
                    list_watch.samples.append(list_time)
                    form_watches[account_id].samples.append(form_time)
                cr.rollback()
    return median_ms(list_watch.samples), {key: median_ms(watch.samples) for key, watch in form_watches.items()}


def create_account(registry, name):
    with registry.cursor() as cr:
        env = admin_env(cr)
        account = env["iap.account"].create(
            {
                "name": name,
                "service_id": env.ref("sms.iap_service_sms").id,
                "credit_mode": "local",
                "company_ids": [(6, 0, env.company.ids)],
            }
        )
        return account.id


def ledger_rows(registry, account_id):
    with registry.cursor() as cr:
        cr.execute("SELECT COUNT(*) FROM iap_credit_transaction WHERE account_id = %s", [account_id])
        return cr.fetchone()[0]


def run(registry, args):
    """Before: one account with a small ledger. After: a second one with a large ledger.

    The form figure compares the two accounts' forms read alternately after the load. The
    list figure compares the list before and after the load; as those reads are minutes
    apart, it is corrected by how the small account's form read (the same work before
    and after) drifted with the machine's load in between.
    """
    small, large = args.ledger_small, args.ledger_large
    small_id = create_account(registry, "Bench ledger, small")
    add_ledger_rows(registry, small_id, small)
    list_before, forms_before = measure(registry, [small_id], args.scale_reads)
    large_id = create_account(registry, "Bench ledger, large")
    add_ledger_rows(registry, large_id, large)
    list_after, forms_after = measure(registry, [small_id, large_id], args.scale_reads)
    small_rows, large_rows = ledger_rows(registry, small_id), ledger_rows(registry, large_id)

    params = f"--ledger-small {small} --ledger-large {large} --scale-reads {args.scale_reads}"
    drift = forms_after[small_id] / forms_before[small_id]
    list_ratio = list_after / list_before
    return [
        info(f"ledger rows of the small account ({params})", small_rows, "rows"),
        info(f"ledger rows of the large account ({params})", large_rows, "rows"),
        info("View My Services list read, before loading the large ledger", list_before, "ms"),
        info("View My Services list read, after loading the large ledger", list_after, "ms"),
        info("View My Services list read, after / before, raw", list_ratio, "x"),
        info("machine drift in between (small account form read, after / before)", drift, "x"),
        at_most(f"View My Services list read, after / before, drift corrected ({params})", list_ratio / drift, "x",
                TARGET_RATIO),
        info(f"account form read, {small_rows} ledger rows", forms_after[small_id], "ms"),
        info(f"account form read, {large_rows} ledger rows", forms_after[large_id], "ms"),
        at_most(f"account form read, large / small ledger, interleaved ({params})",
                forms_after[large_id] / forms_after[small_id], "x", TARGET_RATIO),
    ]  # fmt: skip
