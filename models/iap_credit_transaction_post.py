# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""How `_post` runs its statement: in the ledger's transaction or the caller's, and what
it puts in the caches of both."""

from contextlib import nullcontext

import psycopg2.errors

from odoo import api, models
from odoo.tools import SQL

from .iap_credit_ledger_statement import (
    _UNCACHED,
    _cacheable_fields,
)
from .iap_credit_transaction import IDEMPOTENCY_CONSTRAINT


class IapCreditTransaction(models.Model):
    _inherit = "iap.credit.transaction"

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
            if all(params[f"r{index}_kind"] == "reservation" for index in range(params["count"])):
                # A new hold need not wait for its WAL to reach the disk (about 1.7 ms a
                # commit here): PostgreSQL writes the WAL in order, so every later commit
                # that must last (the hold's capture, the caller's work) flushes it too, and
                # a hold lost with the server is one that nothing captured yet: as after a
                # crash before the capture, nothing is charged. Same statement, same round
                # trip: the two are one implicit transaction.
                cr.execute(f"SET LOCAL synchronous_commit TO OFF; {statement.execute}", params)
            else:
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
