# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import itertools
import os
import re
import threading
import weakref
from contextlib import contextmanager, nullcontext

import psycopg2.errors

from odoo import api, fields, models, sql_db
from odoo.exceptions import UserError
from odoo.tools import SQL, Query

# Kinds whose rows change the settled balance; the others only move holds.
KINDS = [
    ("purchase", "Purchase"),
    ("grant", "Grant"),
    ("reservation", "Reservation"),
    ("capture", "Capture"),
    ("release", "Release"),
    ("refund", "Refund"),
    ("adjustment", "Adjustment"),
]

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
                              THEN trim_scale(iap_account.credit_balance + %(dc)s)::text
                                   || COALESCE(' ' || NULLIF(({unit}), ''), '')
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
# The unit of the account's service in the caller's language, for the stored text `balance`.
_POST_UNIT = "SELECT {unit_name} FROM iap_service WHERE iap_service.id = iap_account.service_id"
# The unique constraint of idempotency keys (`_idempotency_key_unique`), as PostgreSQL names it.
IDEMPOTENCY_CONSTRAINT = "iap_credit_transaction_idempotency_key_unique"


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
        unit_name = env["iap.service"]._field_to_sql("iap_service", "unit_name")
        guard = _POST_HOLD_GUARD if hold else _POST_MOVABLE_GUARD.format(access=access)
        self.code = _POST_QUERY.format(
            unit=_POST_UNIT.format(unit_name=_mogrify(env.cr, unit_name)),
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


class IapCreditTransaction(models.Model):
    """One immutable movement of the credit ledger.

    Two signed amounts describe a movement: ``credits`` changes the settled balance,
    ``reserved_change`` changes the credits held by active reservations. So, for every
    account, ``credit_balance = Σ credits`` and ``credit_reserved = Σ reserved_change``.

    Rows are only ever inserted by :meth:`_post`, which also updates the account's
    stored balances in the same SQL statement, under the account's row lock, in the
    ledger's own short transaction (READ COMMITTED, committed at once): a spender waits
    for the previous movement's commit, never fails because of it, and no lock outlives
    the movement. The ORM's
    ``create``, ``write`` and ``unlink`` refuse, for every user: corrections are new rows.
    """

    _name = "iap.credit.transaction"
    _description = "IAP Credit Transaction"
    _order = "date desc, id desc"
    _rec_name = "description"

    account_id = fields.Many2one("iap.account", required=True, readonly=True, index=True, ondelete="restrict")
    # Copied (not related) so that a later change of the account never rewrites history.
    service_id = fields.Many2one("iap.service", readonly=True, index=True)
    kind = fields.Selection(KINDS, required=True, readonly=True, index=True)
    credits = fields.Float(
        digits="IAP Credits", readonly=True, help="Change of the settled balance (negative when credits are spent)."
    )
    reserved_change = fields.Float(
        digits="IAP Credits",
        readonly=True,
        help="Change of the credits held by active reservations.",
    )
    credits_used = fields.Float(
        digits="IAP Credits",
        readonly=True,
        help="Credits spent by a service (captures), as a positive number: what the analysis sums.",
    )
    balance_after = fields.Float(digits="IAP Credits", readonly=True, help="Settled balance after this movement.")
    reserved_after = fields.Float(digits="IAP Credits", readonly=True, help="Reserved credits after this movement.")
    description = fields.Char(required=True, readonly=True)
    reference = fields.Char(readonly=True, index="btree_not_null", help="Reference given by the service that spent.")
    idempotency_key = fields.Char(
        readonly=True,
        copy=False,
        help="A movement with the same key on the same account is recorded only once.",
    )
    hold_id = fields.Many2one(
        "iap.credit.transaction",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="For a capture or a release: the reservation it closes.",
    )
    hold_expires_at = fields.Datetime(
        readonly=True,
        help="For a reservation: when its credits are released if not captured.",
    )
    hold_state = fields.Selection(
        [("active", "Active"), ("captured", "Captured"), ("released", "Released")],
        compute="_compute_hold_state",
        help="For a reservation: whether its credits are still held.",
    )
    origin_ref = fields.Reference(selection="_selection_origin_ref", readonly=True)
    user_id = fields.Many2one("res.users", readonly=True, index=True)
    company_id = fields.Many2one(
        "res.company",
        readonly=True,
        index=True,
        help="The company of the account; for an account shared by several companies (or by all), "
        "the company the movement was made for when it is one of them.",
    )
    is_test = fields.Boolean(
        string="Test",
        readonly=True,
        help="A purchase (or its refund) made with a payment provider in test mode: no money was paid.",
    )
    date = fields.Datetime(readonly=True, index=True, default=fields.Datetime.now)

    _idempotency_key_unique = models.Constraint(
        "UNIQUE(account_id, idempotency_key)",
        "A movement with this idempotency key is already recorded for this account.",
    )

    def init(self):
        # The expiry job looks for open reservations past their expiry.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS iap_credit_transaction_open_hold_idx
                ON iap_credit_transaction (hold_expires_at)
             WHERE kind = 'reservation'
            """
        )
        # The holds of a record (settling a hold by its origin's outcome, see
        # `iap.account._credits_settle`).
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS iap_credit_transaction_origin_hold_idx
                ON iap_credit_transaction (origin_ref, id)
             WHERE kind = 'reservation' AND origin_ref IS NOT NULL
            """
        )
        # An account's ledger in the model's order (the account form's latest movements,
        # the Transactions list): read from the top of the index, never sorted in full.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS iap_credit_transaction_account_date_idx
                ON iap_credit_transaction (account_id, date DESC, id DESC)
            """
        )

    @api.model
    def _selection_origin_ref(self):
        return [(model.model, model.name) for model in self.env["ir.model"].sudo().search([])]

    # ------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------

    def _compute_hold_state(self):
        holds = self.filtered(lambda t: t.kind == "reservation")
        (self - holds).hold_state = False
        if not holds:
            return
        closing = self.sudo().search_read([("hold_id", "in", holds.ids)], ["hold_id", "kind"])
        state_by_hold = {}
        for row in closing:
            if row["kind"] == "capture" or row["hold_id"][0] not in state_by_hold:
                state_by_hold[row["hold_id"][0]] = "captured" if row["kind"] == "capture" else "released"
        for hold in holds:
            hold.hold_state = state_by_hold.get(hold.id, "active")

    # ------------------------------------------------------------
    # CRUD: the ledger is append-only, and only through `_post`
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):  # pylint: disable=method-required-super
        raise UserError(
            self.env._(
                "Credit transactions cannot be created directly. Credits move only through "
                "purchases, services and the Grant / Adjust Credits wizard."
            )
        )

    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(
            self.env._("Credit transactions can never be modified. Record a correction as a new adjustment instead.")
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._("Credit transactions can never be deleted. Record a correction as a new adjustment instead.")
        )

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _post(self, account, rows, hold=None, origin=None, record=None):
        """Append ``rows`` to the ledger of ``account`` and update its stored balances.

        One SQL statement does it: an ``UPDATE`` of the account row, which takes its row
        lock and checks the guards, feeding the ``INSERT`` of the rows, which read the new
        balances from it. The statement runs in the ledger's own short transaction (see
        :func:`_ledger_cursor`), at READ COMMITTED, committed at once: a worker that
        finds the row locked by another movement waits for that commit, then PostgreSQL
        re-checks the guards on the newest version of the row. So a movement never fails
        because another worker moved credits first, and the row lock lasts the statement
        and its commit — never a gateway call nor the caller's transaction.

        The guards refuse the statement (no row changes) when the movement would take
        the available credits below zero; for a new movement (no ``hold``), when the
        account is not local or the caller's record rules hide it (the checks of
        `iap.account._credits_check_movable`, made here rather than by queries before
        the movement); with ``hold``, when that reservation was already closed by a
        capture or a release. The subquery of that last check is not re-evaluated when
        the statement waited for the row lock; two closures of one hold racing each other
        are told apart by the idempotency key of their first row (``hold:<id>:close``),
        unique per account: the later one changes nothing.

        The values the statement returns (the new rows, the account's new balances) are
        put in the caller's cache: the caller's transaction, whose snapshot may predate
        the ledger's commit, reads them without a query and never writes the account row.

        :param account: the `iap.account` record (singleton)
        :param list rows: dicts with ``kind``, ``credits``, ``reserved_change``,
            ``description`` and optionally ``reference``, ``idempotency_key``,
            ``hold_expires_at``, ``is_test``
        :param hold: the reservation closed by these rows, if any
        :param origin: the record that caused the movement, if any
        :param record: ``record(env)``, called in the ledger's transaction before the
            movement, to commit what the movement pays for together with it (e.g. the SMS
            a gateway accepted); it must not write the account row
        :return: the new rows; when an idempotency key of ``rows`` is already recorded,
            the rows recorded under those keys (nothing moves); an empty recordset when
            a guard refused
        """
        account.ensure_one()
        statement = _LedgerStatement.get(self, account, len(rows), hold)
        delta_credits = delta_reserved = 0.0
        now = fields.Datetime.now()
        params = {
            "count": len(rows),
            "account": account.id,
            "hold": hold.id if hold else None,
            "uid": self.env.uid,
            "company": self.env.company.id,
            "now": now,
        }
        origin_ref = f"{origin._name},{origin.id}" if origin else None
        # Running balances: the row i's "after" values are the final ones less what the
        # rows after it add.
        for row, keys in zip(reversed(rows), reversed(statement.row_keys), strict=True):
            row["balance_offset"], row["reserved_offset"] = delta_credits, delta_reserved
            delta_credits += row["credits"]
            delta_reserved += row.get("reserved_change", 0.0)
            for (column, _type), key in zip(_ROW_COLUMNS, keys, strict=True):
                params[key] = self._post_value(row, column, hold, origin_ref)
        params["dc"], params["dr"] = delta_credits, delta_reserved
        # Pending writes of the caller on the account are flushed first: that locks the
        # row in the caller's transaction, so the ledger moves its credits there (see
        # `iap.account._ledger_uses_caller`). Nothing pending, as usual: nothing to look at.
        transaction = self.env.transaction
        if transaction.field_dirty or transaction.tocompute:
            account.flush_recordset()
        keys = [row["idempotency_key"] for row in rows if row.get("idempotency_key")]
        if not account._ledger_uses_caller():
            with _ledger_cursor(self.env.registry) as (cr, autocommit):
                posted = self._post_execute(
                    self.env(cr=cr), account, statement, params, keys, record, hold, autocommit=autocommit
                )
                if posted is not None:
                    return self.browse(posted.ids)
        # The caller's transaction: see `iap.account._ledger_uses_caller`.
        account._ledger_mark_written()
        posted = self._post_execute(self.env, account, statement, params, keys, record, hold)
        return self.browse() if posted is None else posted

    @api.model
    def _post_execute(self, env, account, statement, params, keys, record, hold=None, autocommit=False):
        """Run the statement of :meth:`_post` in ``env`` (the ledger's transaction or the
        caller's) and put what it returns in the caches of both transactions.

        With ``autocommit`` (a kept cursor of the ledger) and no ``record``, the statement
        is its own transaction: PostgreSQL commits it before answering, so the account row
        is locked only while the server runs it — no round trip, no Python of this process
        in between — and a movement costs one round trip (no ``BEGIN``, no ``COMMIT``).

        :return: the rows (of ``env``), as :meth:`_post` says, or None when the account row
            does not exist for ``env`` (it is not committed yet)
        """
        own = env.cr is not self.env.cr
        if record:
            record(env)
        single = autocommit and not record
        try:
            # In the caller's transaction a duplicate key must not abort it.
            with env.cr.savepoint(flush=False) if keys and not own else nullcontext():
                if single:
                    self._post_single(env.cr, statement, params)
                else:
                    env.cr.execute(statement.code, params)
                result = env.cr.fetchall()
        except psycopg2.errors.UniqueViolation as error:
            if error.diag.constraint_name != IDEMPOTENCY_CONSTRAINT:
                raise
            # Another worker recorded these keys first: nothing of ours is kept.
            if own:
                env.cr.rollback()
            return self._ledger_find_rows(env, [("account_id", "=", account.id), ("idempotency_key", "in", keys)])
        if not result:
            if own and not env.execute_query(SQL("SELECT 1 FROM iap_account WHERE id = %s", account.id)):
                return None
            if own and record:
                env.cr.rollback()  # what `record` wrote is paid by no movement: never commit it
            if hold:
                # Refused because the hold is closed: its closing rows, as the ledger has them now.
                return self._ledger_find_rows(env, [("hold_id", "=", hold.id)])
            return env["iap.credit.transaction"]
        return self._ledger_accept(env, account, statement, result, committed=single)

    @api.model
    def _post_single(self, cr, statement, params):
        """Run ``statement`` on a kept ledger cursor as a transaction of its own (autocommit),
        prepared once per cursor: a cursor keeps its connection until it is closed, and the
        pool discards a connection's prepared statements before lending it again."""
        cnx = cr._cnx
        prepared = cr.__dict__.setdefault("_iap_credits_prepared", set())
        cnx.autocommit = True
        try:
            if statement.name not in prepared:
                cr.execute(statement.prepare)
                prepared.add(statement.name)
            cr.execute(statement.execute, params)
        finally:
            cnx.autocommit = False

    @api.model
    def _ledger_accept(self, env, account, statement, result, committed=False):
        """Announce the movement (the account's hook, with the new balances in the cache of
        ``env``), commit what is not committed yet, then put what the statement returned
        in the caller's cache: the new rows, and the account fields it changed.

        A movement that was its own transaction (``committed``) is announced right after
        its commit, and what the hook writes is then a short transaction of its own;
        otherwise the hook runs before the commit, the account row locked. Either way the
        hook derives what it writes from the account row as it is when it writes (see
        `iap.account._credits_moved`).

        :return: the new rows, in ``env``
        """
        own = env.cr is not self.env.cr
        account_id = account.id
        start = statement.account_start
        first, last = result[0], result[-1]
        for field, value in zip(statement.account_fields, first[start:], strict=True):
            field._get_cache(env)[account_id] = value
        balance_index, reserved_index = statement.after_index
        changed = account.with_env(env)._credits_moved(last[balance_index] - last[reserved_index])
        changed_values = self._ledger_changed_by_hook(env, account, changed) if changed and own else {}
        if own:
            if changed or not committed:
                # At once: until this commit the account row stays locked.
                env.cr.commit()  # pylint: disable=invalid-commit  # the ledger's own transaction
            # Newer than the caller's snapshot: replace what it cached, never re-read it.
            # Nothing of the account is dirty (`_post` flushed it, the ledger's
            # transaction does not write it).
            caller = self.env
            for field, value in zip(statement.account_fields, first[start:], strict=True):
                field._get_cache(caller)[account_id] = value
            for field, value in changed_values.items():
                if value is _UNCACHED:
                    field._invalidate_cache(caller, [account_id])
                else:
                    field._get_cache(caller)[account_id] = value
        for name in ("transaction_ids", "recent_transaction_ids"):
            account._fields[name]._invalidate_cache(self.env, [account_id])
        ids = [row[0] for row in result]
        posted = self.browse(ids)
        for index, field in enumerate(statement.row_fields, 1):
            field._insert_cache(posted, [row[index] for row in result])
        return env["iap.credit.transaction"].browse(ids)

    @api.model
    def _ledger_changed_by_hook(self, env, account, changed):
        """What the hook wrote on the account row (the fields it named), read in ``env``
        before the ledger's commit, for the caller's cache: the caller's snapshot cannot
        see it. Fields that are not stored columns are only to be invalidated.

        :return: ``{field: cache value, or _UNCACHED}``
        """
        fields_ = [account._fields[name] for name in changed]
        stored = [field for field in fields_ if field.store and field.column_type]
        if stored:
            account.with_env(env).fetch([field.name for field in stored])
        cache = {field: field._get_cache(env).get(account.id, _UNCACHED) for field in stored}
        return {field: cache.get(field, _UNCACHED) for field in fields_}

    @api.model
    def _ledger_find_rows(self, env, domain):
        """The ledger rows matching ``domain``, read in ``env`` and put in the caller's cache too."""
        found = env["iap.credit.transaction"].sudo().search(domain, order="id")
        if env is not self.env:
            rows = self.browse(found.ids)
            for field in _cacheable_fields(self):
                field._insert_cache(rows, [field.convert_to_cache(row[field.name], row) for row in found])
        return found

    @staticmethod
    def _post_value(row, column, hold, origin_ref):
        if column == "is_test":
            return bool(row.get("is_test"))
        if column == "hold_id":
            return hold.id if hold else None
        if column == "origin_ref":
            return origin_ref
        return row.get(column, 0.0 if column in ("credits", "reserved_change") else None)
