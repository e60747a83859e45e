# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import os
import threading
from contextlib import contextmanager, nullcontext

import psycopg2.errors
import psycopg2.extensions

from odoo import api, fields, models, sql_db
from odoo.exceptions import UserError
from odoo.tools import SQL

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
_ROW_PLACEHOLDERS = "(" + ", ".join(f"%s::{sqltype}" for _column, sqltype in _ROW_COLUMNS) + ")"

# The statement of `_post`: the UPDATE of the account row (its lock, the guard, the new
# balances) feeding the INSERT of the ledger rows. See `_post`.
_POST_QUERY = """
    WITH acc AS (
        UPDATE iap_account a
           SET credit_balance = a.credit_balance + %(dc)s,
               credit_reserved = a.credit_reserved + %(dr)s,
               credit_available = a.credit_available + %(dc)s - %(dr)s,
               transaction_count = a.transaction_count + %(count)s,
               balance = CASE WHEN a.credit_mode = 'local'
                              THEN trim_scale(a.credit_balance + %(dc)s)::text || %(unit)s
                              ELSE a.balance END
         WHERE a.id = %(account)s
           AND (a.credit_available + %(dc)s - %(dr)s >= 0 OR %(dc)s - %(dr)s >= 0){hold_guard}
     RETURNING a.*
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
           v.origin_ref, v.is_test, %(uid)s, %(company)s, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s
      FROM acc, (VALUES %(values)s) AS v({columns})
    RETURNING *
    )
    SELECT ins.id, {returning}, {account_returning} FROM ins, acc ORDER BY ins.id
"""
# The unique constraint of idempotency keys (`_idempotency_key_unique`), as PostgreSQL names it.
IDEMPOTENCY_CONSTRAINT = "iap_credit_transaction_idempotency_key_unique"


_READ_COMMITTED = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED"
_CACHEABLE_FIELDS = {}

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
    """A cursor of the ledger's own transactions, at READ COMMITTED, set once per connection
    (psycopg2 then opens each transaction with ``BEGIN ISOLATION LEVEL READ COMMITTED``:
    no statement of its own). Whatever the block did not commit is rolled back."""
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
                yield cr
            finally:
                cr.close()
            return
        # Given back to the pool when closed: the pool's next cursor sets its own isolation.
        cr._cnx.set_session(isolation_level=psycopg2.extensions.ISOLATION_LEVEL_READ_COMMITTED)
    try:
        yield cr
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


_POST_HOLD_GUARD = """
           AND NOT EXISTS (SELECT 1 FROM iap_credit_transaction c WHERE c.hold_id = %(hold)s)"""


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
        lock and checks the guard, feeding the ``INSERT`` of the rows, which read the new
        balances from it. The statement runs in the ledger's own short transaction (see
        :meth:`_ledger_transaction`), at READ COMMITTED, committed at once: a worker
        that finds the row locked by another movement waits for that commit, then
        PostgreSQL re-checks the guard on the newest version of the row. So a movement
        never fails because another worker moved credits first, and the row lock lasts
        the statement and its commit — never a gateway call nor the caller's transaction.

        The guard refuses the statement (no row changes) when the movement would take
        the available credits below zero, or, with ``hold``, when that reservation was
        already closed by a capture or a release. The subquery of that last check is not
        re-evaluated when the statement waited for the row lock; two closures of one hold
        racing each other are told apart by the idempotency key of their first row
        (``hold:<id>:close``), unique per account: the later one changes nothing.

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
            the guard refused
        """
        account.ensure_one()
        delta_credits = sum(row["credits"] for row in rows)
        delta_reserved = sum(row.get("reserved_change", 0.0) for row in rows)
        # Running balances: the row i's "after" values are the final ones less what the
        # rows after it add.
        suffix_credits = suffix_reserved = 0.0
        for row in reversed(rows):
            row["balance_offset"], row["reserved_offset"] = suffix_credits, suffix_reserved
            suffix_credits += row["credits"]
            suffix_reserved += row.get("reserved_change", 0.0)
        origin_ref = f"{origin._name},{origin.id}" if origin else None
        # One placeholder per value, typed, in the order of _ROW_COLUMNS: built as a single
        # SQL object (this runs for every movement; nested SQL objects cost more than the query).
        values = SQL(
            ", ".join([_ROW_PLACEHOLDERS] * len(rows)),
            *(self._post_value(row, column, hold, origin_ref) for row in rows for column, _type in _ROW_COLUMNS),
        )
        unit = account.sudo().service_id.unit_name or ""
        account.flush_recordset()
        cached_fields, account_fields = _cacheable_fields(self), _cacheable_fields(account)
        # The statement's text is fixed but for these names; only values are parameters.
        code = _POST_QUERY.format(
            hold_guard=_POST_HOLD_GUARD if hold else "",
            columns=", ".join(column for column, _type in _ROW_COLUMNS),
            returning=", ".join(f'ins."{field.name}"' for field in cached_fields),
            account_returning=", ".join(f'acc."{field.name}"' for field in account_fields),
        )
        query = SQL(
            code,
            dc=delta_credits,
            dr=delta_reserved,
            count=len(rows),
            unit=f" {unit}" if unit else "",
            account=account.id,
            hold=hold.id if hold else None,
            uid=self.env.uid,
            company=self._post_company(account).id,
            now=fields.Datetime.now(),
            values=values,
        )
        keys = [row["idempotency_key"] for row in rows if row.get("idempotency_key")]
        if not account._ledger_uses_caller():
            with _ledger_cursor(self.env.registry) as cr:
                posted = self._post_execute(self.env(cr=cr), account, query, keys, record, hold)
                if posted is not None:
                    return self.browse(posted.ids)
        # The caller's transaction: see `iap.account._ledger_uses_caller`.
        account._ledger_mark_written()
        posted = self._post_execute(self.env, account, query, keys, record, hold)
        return self.browse() if posted is None else posted

    @api.model
    def _post_execute(self, env, account, query, keys, record, hold=None):
        """Run the statement of :meth:`_post` in ``env`` (the ledger's transaction or the
        caller's) and put what it returns in the caches of both transactions.

        :return: the rows (of ``env``), as :meth:`_post` says, or None when the account row
            does not exist for ``env`` (it is not committed yet)
        """
        own = env.cr is not self.env.cr
        if record:
            record(env)
        try:
            # In the caller's transaction a duplicate key must not abort it.
            with env.cr.savepoint(flush=False) if keys and not own else nullcontext():
                result = env.execute_query(query)
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
        columns = list(zip(*result, strict=True))
        self._ledger_accept(env, account, columns)
        return env["iap.credit.transaction"].browse(columns[0])

    @api.model
    def _ledger_accept(self, env, account, columns):
        """Put what the movement returned in the caches, announce the movement
        (`iap.account._credits_moved`) and, in the ledger's own transaction, commit it
        (then hand what the hook changed to the caller)."""
        own = env.cr is not self.env.cr
        cached_fields, account_fields = _cacheable_fields(self), _cacheable_fields(account)
        split = len(cached_fields) + 1
        targets = [env] if not own else [env, account.env]
        for index, target in enumerate(targets):
            target_account = account.with_env(target)
            # Newer than the caller's snapshot: replace what it cached, never re-read it.
            # Overwriting the cached values is their invalidation; nothing of the account is
            # dirty (`_post` flushed it, the ledger's transaction does not write it).
            target_account.invalidate_recordset(["transaction_ids"], flush=False)
            for field, value in zip(account_fields, columns[split:], strict=True):
                field._update_cache(target_account, value[0])
            posted = self.with_env(target).browse(columns[0])
            for field, column_values in zip(cached_fields, columns[1:split], strict=True):
                field._insert_cache(posted, column_values)
            if index:
                continue
            # Announced in the transaction of the movement: it holds the account's row lock
            # already, and a caller whose snapshot predates the ledger's commit must never
            # write the account row.
            target_account._credits_moved(posted)
            if own:
                changed = self._ledger_changed_by_hook(env, account, account_fields)
                # At once: the account row stays locked until this commit.
                env.cr.commit()  # pylint: disable=invalid-commit  # the ledger's own transaction
        if own:
            for field, value in changed.items():
                account.invalidate_recordset([field.name])
                field._update_cache(account, value)

    @api.model
    def _ledger_changed_by_hook(self, env, account, account_fields):
        """What the movement hook wrote on the account row (it invalidates what it writes),
        read in the ledger's transaction before its commit, for the caller's cache: the
        caller's snapshot cannot see it. No query when the hook wrote nothing.

        :return: ``{field: cache value}``
        """
        stale = [field for field in account_fields if account.id not in field._get_cache(env)]
        if not stale:
            return {}
        account.with_env(env).fetch([field.name for field in stale])
        return {field: field._get_cache(env)[account.id] for field in stale}

    @api.model
    def _ledger_find_rows(self, env, domain):
        """The ledger rows matching ``domain``, read in ``env`` and put in the caller's cache too."""
        found = env["iap.credit.transaction"].sudo().search(domain, order="id")
        if env is not self.env:
            rows = self.browse(found.ids)
            for field in _cacheable_fields(self):
                field._insert_cache(rows, [field.convert_to_cache(row[field.name], row) for row in found])
        return found

    @api.model
    def _post_company(self, account):
        """The company of the rows of ``account``: the account's, not the caller's.

        A cron or a superuser working in the main company may move the credits of another
        company's account. An account of several companies records the current company
        when it is one of them (the work was done for it), else the first of them; a
        shared account (no company) records the current company.
        """
        companies = account.sudo().company_ids
        if not companies or self.env.company in companies:
            return self.env.company
        return companies[:1]

    @staticmethod
    def _post_value(row, column, hold, origin_ref):
        if column == "is_test":
            return bool(row.get("is_test"))
        if column == "hold_id":
            return hold.id if hold else None
        if column == "origin_ref":
            return origin_ref
        return row.get(column, 0.0 if column in ("credits", "reserved_change") else None)
