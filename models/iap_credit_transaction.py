# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, fields, models
from odoo.exceptions import UserError

from .iap_credit_ledger_statement import (
    _ROW_COLUMNS,
    _ledger_cursor,
    _LedgerStatement,
)

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

# The unique constraint of idempotency keys (`_idempotency_key_unique`), as PostgreSQL names it.
IDEMPOTENCY_CONSTRAINT = "iap_credit_transaction_idempotency_key_unique"


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
