# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The statement of the ledger's `_post`: its SQL, built once per shape of movement and
kept, and the cursors of the ledger's own transactions."""

import itertools
import os
import re
import threading
import weakref
from contextlib import contextmanager

from odoo import sql_db
from odoo.tools import SQL, Query

from .iap_account import LOCAL_BALANCE_SQL

# Columns written by `_post`, in the order of the VALUES rows, with their SQL types.
_ROW_COLUMNS = [
    ("kind", "varchar"),
    ("credits", "numeric"),
    ("reserved_change", "numeric"),
    ("balance_offset", "numeric"),
    ("reserved_offset", "numeric"),
    ("description", "varchar"),
    ("reference", "varchar"),
    ("idempotency_key", "varchar"),
    ("hold_id", "int4"),
    ("hold_expires_at", "timestamp"),
    ("origin_ref", "varchar"),
    ("is_test", "bool"),
]

# The statement of `_post`: the UPDATE of the account row (its lock, the guards, the new
# balances) feeding the INSERT of the ledger rows. Its text only depends on the shape of
# the movement (see `_LedgerStatement`); every value is a parameter. The account table
# keeps its own name as alias: the condition of the record rules is compiled for it.
_POST_QUERY = """
    WITH acc AS (
        UPDATE iap_account
           SET credit_balance = iap_account.credit_balance + %(dc)s,
               credit_reserved = iap_account.credit_reserved + %(dr)s,
               credit_available = iap_account.credit_available + %(dc)s - %(dr)s,
               transaction_count = iap_account.transaction_count + %(count)s,
               balance = CASE WHEN iap_account.credit_mode = 'local'
                              THEN {balance}
                              ELSE iap_account.balance END
         WHERE iap_account.id = %(account)s
           AND (iap_account.credit_available + %(dc)s - %(dr)s >= 0 OR %(dc)s - %(dr)s >= 0){guard}
     RETURNING iap_account.id, iap_account.service_id, {account_returning}
    ), ins AS (
    INSERT INTO iap_credit_transaction (
        account_id, service_id, kind, credits, credits_used, reserved_change, balance_after, reserved_after,
        description, reference, idempotency_key, hold_id, hold_expires_at, origin_ref, is_test,
        user_id, company_id, date, create_uid, create_date, write_uid, write_date
    )
    SELECT acc.id, acc.service_id, v.kind, v.credits,
           CASE WHEN v.kind = 'capture' THEN -v.credits ELSE 0 END, v.reserved_change,
           acc.credit_balance - v.balance_offset, acc.credit_reserved - v.reserved_offset,
           v.description, v.reference, v.idempotency_key, v.hold_id, v.hold_expires_at,
           v.origin_ref, v.is_test, %(uid)s, {company}, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s
      FROM acc, (VALUES {values}) AS v({columns})
    RETURNING {returning}
    )
    SELECT {selected} FROM ins, acc ORDER BY ins.id
"""
# A closure (capture, release) moves the credits of a hold not closed yet.
_POST_HOLD_GUARD = """
           AND NOT EXISTS (SELECT 1 FROM iap_credit_transaction c WHERE c.hold_id = %(hold)s)"""
# A new movement (reservation, grant, debit) moves the credits of a local account the
# caller may read (`iap.account._ledger_access_condition`): the checks of
# `iap.account._credits_check_movable` done in the statement, not by queries before it.
_POST_MOVABLE_GUARD = """
           AND iap_account.credit_mode = 'local'{access}"""
# The company of the rows: the current company when the account serves it (or serves all
# companies), else the first of the account's companies (`res.company` order).
_POST_COMPANY = """COALESCE(
        (SELECT rel.{company_column} FROM {company_relation} rel
           JOIN res_company ON res_company.id = rel.{company_column}
          WHERE rel.{account_column} = acc.id
          ORDER BY rel.{company_column} = %(company)s DESC, {company_order} LIMIT 1),
        %(company)s)"""


_READ_COMMITTED = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED"
_SESSION_READ_COMMITTED = "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED"
_CACHEABLE_FIELDS = {}
# A field the hook changed that the caller must read again (see `_ledger_changed_by_hook`).
_UNCACHED = object()

# Idle cursors of the ledger's own transactions, per (process, registry): borrowing a pool
# connection, resetting it and building a cursor cost more than a movement's statement,
# so a movement takes an idle one and gives it back. Not per thread: the threaded server
# runs each request in a thread of its own. Keyed by process too: a forked worker never
# uses (nor closes) the connection of its parent.
_LEDGER_CURSORS = {}
_LEDGER_CURSORS_LOCK = threading.Lock()
_LEDGER_CURSORS_IDLE = 4  # idle cursors kept per registry; more are closed


@contextmanager
def _ledger_cursor(registry):
    """A cursor of the ledger's own transactions, at READ COMMITTED, and whether it can run
    a movement as a single statement in autocommit (see `_post_execute`). Whatever the
    block did not commit is rolled back.

    A kept cursor's session is set once per connection: READ COMMITTED is the session's
    default, and psycopg2's session characteristics are left to the server's defaults, so
    that psycopg2 opens a transaction with a plain ``BEGIN`` and switching the connection
    to autocommit and back costs no statement."""
    key = (os.getpid(), id(registry))
    cr = None
    # A registry in test mode (an HttpCase's) has its `cursor` patched to hand out test
    # cursors on the test's transaction: a kept real cursor must never be used then.
    in_test_mode = "cursor" in vars(registry)
    with _LEDGER_CURSORS_LOCK:
        idle = None if in_test_mode else _LEDGER_CURSORS.get(key)
        while idle and cr is None:
            cr = idle.pop()
            if cr.closed:  # its connection was closed (e.g. the database's pool was closed)
                cr = None
            elif cr.transaction is not None and cr.transaction.registry is not registry:
                cr.close()  # the registry was replaced since (and its id reused)
                cr = None
    if cr is None:
        cr = registry.cursor()
        if in_test_mode or not isinstance(cr, sql_db.Cursor):  # never kept, nor reconfigured
            try:
                cr.execute(_READ_COMMITTED)
                yield cr, False
            finally:
                cr.close()
            return
        # Given back to the pool when closed: the pool resets the session of a connection
        # it lends again, and its next cursor sets its own isolation.
        cr._cnx.set_session(isolation_level="DEFAULT", readonly="DEFAULT", deferrable="DEFAULT")
        cr.execute(_SESSION_READ_COMMITTED)
        cr.commit()  # pylint: disable=invalid-commit  # the ledger's own connection
    try:
        yield cr, True
    except BaseException:
        cr.close()  # rolls back; a cursor that failed is not reused
        raise
    cr.rollback()  # what the block did not commit (no query when nothing is pending)
    with _LEDGER_CURSORS_LOCK:
        idle = _LEDGER_CURSORS.setdefault(key, [])
        if len(idle) < _LEDGER_CURSORS_IDLE:
            idle.append(cr)
            cr = None
    if cr is not None:
        cr.close()


def _cacheable_fields(records):
    """The stored column fields of ``records``' model whose raw column value is their cache value."""
    key = (id(records.env.registry), records._name)
    if key not in _CACHEABLE_FIELDS:
        _CACHEABLE_FIELDS[key] = [
            field
            for field in records._fields.values()
            if field.store
            and field.column_type
            and field.name != "id"
            and not field.translate
            and not field.company_dependent
            and field.type not in ("binary", "properties", "json")
        ]
    return _CACHEABLE_FIELDS[key]


# Statements of `_post`, per model class (one per registry) and shape of movement.
_STATEMENTS = weakref.WeakKeyDictionary()
_STATEMENTS_KEPT = 64  # shapes kept per registry (they vary with the callers' record rules)
_STATEMENT_NAMES = itertools.count(1)
_PARAM_RE = re.compile(r"%\((\w+)\)s")
# The SQL types of the statement's parameters other than the rows' values.
_PARAM_TYPES = {
    "dc": "numeric",
    "dr": "numeric",
    "count": "int4",
    "account": "int4",
    "hold": "int4",
    "uid": "int4",
    "company": "int4",
    "now": "timestamp",
}


def _mogrify(cr, sql):
    """``sql`` as literal text for a statement with named parameters (its ``%`` doubled)."""
    return cr.mogrify(sql.code, sql.params).decode().replace("%", "%%")


class _LedgerStatement:
    """The text of `_post`'s statement for one shape of movement, and where its result
    carries what: built once per shape (the number of rows, a closure or a new movement,
    the caller's record rules on accounts, the caller's language), then only values change.
    """

    __slots__ = (
        "account_fields",
        "account_start",
        "after_index",
        "code",
        "execute",
        "name",
        "prepare",
        "row_fields",
        "row_keys",
    )

    def __init__(self, transactions, account, rows, hold, access):
        env = transactions.env
        self.row_fields = _cacheable_fields(transactions)
        names = ("credit_balance", "credit_reserved", *sorted(account._credits_moved_fields()))
        self.account_fields = [account._fields[name] for name in dict.fromkeys(names)]
        self.account_start = 1 + len(self.row_fields)
        row_names = [field.name for field in self.row_fields]
        self.after_index = (1 + row_names.index("balance_after"), 1 + row_names.index("reserved_after"))
        self.row_keys = [[f"r{index}_{column}" for column, _type in _ROW_COLUMNS] for index in range(rows)]
        companies = account._fields["company_ids"]
        Company = env["res.company"].sudo()
        company_order = Company._order_to_sql(
            Company._order, Query(env, Company._table, SQL.identifier(Company._table))
        )
        guard = _POST_HOLD_GUARD if hold else _POST_MOVABLE_GUARD.format(access=access)
        self.code = _POST_QUERY.format(
            # The stock text of the balance after the movement (see `LOCAL_BALANCE_SQL`).
            balance=LOCAL_BALANCE_SQL.format(
                amount="iap_account.credit_balance + %(dc)s",
                unit=_mogrify(env.cr, env["iap.account"]._local_balance_unit_sql()),
            ),
            guard=guard,
            account_returning=", ".join(f'iap_account."{field.name}"' for field in self.account_fields),
            company=_POST_COMPANY.format(
                company_column=companies.column2,
                company_relation=companies.relation,
                account_column=companies.column1,
                company_order=_mogrify(env.cr, company_order),
            ),
            values=", ".join(
                "(" + ", ".join(f"%({key})s::{t}" for key, (_c, t) in zip(keys, _ROW_COLUMNS, strict=True)) + ")"
                for keys in self.row_keys
            ),
            columns=", ".join(column for column, _type in _ROW_COLUMNS),
            returning=", ".join(["id", *(f'"{name}"' for name in row_names)]),
            selected=", ".join(
                [
                    "ins.id",
                    *(f'ins."{name}"' for name in row_names),
                    *(f'acc."{field.name}"' for field in self.account_fields),
                ]
            ),
        )
        # The same as a prepared statement of the ledger's kept connections (see
        # `_post_execute`): PostgreSQL parses and plans it once per connection.
        types = dict(_PARAM_TYPES)
        for keys in self.row_keys:
            types.update((key, sqltype) for key, (_c, sqltype) in zip(keys, _ROW_COLUMNS, strict=True))
        names = list(dict.fromkeys(_PARAM_RE.findall(self.code)))
        self.name = f"iap_credits_ledger_{next(_STATEMENT_NAMES)}"
        numbered = _PARAM_RE.sub(lambda match: f"${names.index(match[1]) + 1}", self.code).replace("%%", "%")
        self.prepare = f"PREPARE {self.name} ({', '.join(types[name] for name in names)}) AS {numbered}"
        self.execute = f"EXECUTE {self.name} ({', '.join(f'%({name})s' for name in names)})"

    @classmethod
    def get(cls, transactions, account, rows, hold):
        """The statement of this shape, built at its first use."""
        access = None if hold else account._ledger_access_condition()
        key = (rows, bool(hold), access, transactions.env.lang)
        statements = _STATEMENTS.setdefault(type(transactions), {})
        statement = statements.get(key)
        if statement is None:
            if len(statements) >= _STATEMENTS_KEPT:
                statements.clear()
            statement = statements[key] = cls(transactions, account, rows, hold, access)
        return statement
