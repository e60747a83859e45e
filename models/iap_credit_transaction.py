# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, fields, models
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
    ("expiry", "Expiry"),
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
     RETURNING a.id, a.service_id, a.credit_balance, a.credit_reserved
    )
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
    RETURNING id, {returning}
"""
_POST_HOLD_GUARD = """
           AND NOT EXISTS (SELECT 1 FROM iap_credit_transaction c WHERE c.hold_id = %(hold)s)"""


class IapCreditTransaction(models.Model):
    """One immutable movement of the credit ledger.

    Two signed amounts describe a movement: ``credits`` changes the settled balance,
    ``reserved_change`` changes the credits held by active reservations. So, for every
    account, ``credit_balance = Σ credits`` and ``credit_reserved = Σ reserved_change``.

    Rows are only ever inserted by :meth:`_post`, which also updates the account's
    stored balances in the same SQL statement, under the account's row lock. The ORM's
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
    def _post(self, account, rows, hold=None, origin=None):
        """Append ``rows`` to the ledger of ``account`` and update its stored balances.

        Everything happens in one SQL statement: an ``UPDATE`` of the account row, which
        takes its row lock until the end of the transaction and checks the guard, and
        the ``INSERT`` of the rows, which read the new balances from it. Two workers
        moving credits of one account are thus serialized by PostgreSQL; under Odoo's
        REPEATABLE READ isolation the later one gets a serialization failure and its
        request is retried by Odoo, never double-counted.

        The guard refuses the statement (no row changes) when the movement would take
        the available credits below zero, or, with ``hold``, when that reservation was
        already closed by a capture or a release.

        :param account: the `iap.account` record (singleton)
        :param list rows: dicts with ``kind``, ``credits``, ``reserved_change``,
            ``description`` and optionally ``reference``, ``idempotency_key``,
            ``hold_expires_at``, ``is_test``
        :param hold: the reservation closed by these rows, if any
        :param origin: the record that caused the movement, if any
        :return: the new rows, or an empty recordset when the guard refused
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
        cached_fields = [
            field
            for field in self._fields.values()
            if field.store and field.column_type and field.name != "id" and not field.translate
        ]
        # The statement's text is fixed but for these names; only values are parameters.
        code = _POST_QUERY.format(
            hold_guard=_POST_HOLD_GUARD if hold else "",
            columns=", ".join(column for column, _type in _ROW_COLUMNS),
            returning=", ".join(f'"{field.name}"' for field in cached_fields),
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
        result = self.env.execute_query(query)
        if not result:
            return self.browse()
        account.invalidate_recordset(
            ["credit_balance", "credit_reserved", "credit_available", "balance", "transaction_count", "transaction_ids"]
        )
        # The new rows come back with all their columns, put in cache as a read would:
        # the caller (e.g. a capture reading its hold) then needs no query to read them.
        columns = list(zip(*result, strict=True))
        posted = self.browse(columns[0])
        for field, column_values in zip(cached_fields, columns[1:], strict=True):
            field._insert_cache(posted, column_values)
        # Low-credit alerts (models/iap_account_alert.py), with the final available credits.
        last = self.browse(max(posted.ids))
        account._warning_check_move(last.balance_after - last.reserved_after)
        return posted

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
