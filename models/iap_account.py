# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.modules import module
from odoo.tools import SQL, float_compare, float_is_zero, formatLang

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

_logger = logging.getLogger(__name__)

DEFAULT_MODE_PARAM = "iap_credits.default_credit_mode"
HOLD_MINUTES_PARAM = "iap_credits.hold_expiry_minutes"
DEFAULT_HOLD_MINUTES = 60
MANAGER_GROUP = "iap_credits.group_iap_credits_manager"
# Fields only the ledger (`iap.credit.transaction._post`) may change.
LEDGER_FIELDS = {"credit_balance", "credit_reserved", "credit_available", "transaction_count"}
# Key of `cr.postrollback.data` (cleared at each commit and rollback): the accounts the
# current transaction created or wrote; the ledger moves their credits in this transaction.
WRITTEN_ACCOUNTS = "iap_credits.written_accounts"
# Rows of the ledger shown on the account form; all of them are one click away (Transactions).
RECENT_LEDGER_ROWS = 80


def in_test_transaction(cr):
    """Whether ``cr`` is a test's own transaction (a ``TransactionCase``'s cursor, or the
    test cursor of an ``HttpCase`` request), which is rolled back at the end of the test
    and must never be committed nor have anything committed beside it."""
    test = module.current_test
    if not test:
        return False
    test_cr = getattr(test, "cr", None)
    return cr is test_cr or getattr(cr, "_cursor", None) is test_cr


@dataclass
class CreditCharge:
    """What `_credits_charge` yields: the hold, and how much of it to capture.

    The block may lower ``credits`` (work partly done) before it ends; only that much is
    captured and the rest released — the contract of the stock ``iap_charge``.
    """

    hold: models.BaseModel
    credits: float


class IapAccount(models.Model):
    _name = "iap.account"
    _inherit = "iap.account"  # mail.thread comes with the stock iap_mail

    credit_mode = fields.Selection(
        [("local", "Local credits"), ("odoo", "Odoo IAP")],
        required=True,
        default=lambda self: self._default_credit_mode(),
        tracking=True,
        help="Local credits: bought, kept and spent in this database. "
        "Odoo IAP: the stock behaviour, credits kept on Odoo's IAP server.",
    )
    credit_balance = fields.Float(
        string="Local Balance",
        digits="IAP Credits",
        readonly=True,
        default=0.0,
        copy=False,  # a copy starts with an empty ledger: credits only come from ledger rows
        help="Settled credits: the sum of every ledger movement of this account.",
    )
    credit_reserved = fields.Float(
        string="Reserved",
        digits="IAP Credits",
        readonly=True,
        default=0.0,
        copy=False,
        help="Credits held by work in progress; captured when the work succeeds, released otherwise.",
    )
    credit_available = fields.Float(
        string="Available",
        digits="IAP Credits",
        compute="_compute_credit_available",
        store=True,
        help="Credits that can be spent now: balance less reserved.",
    )
    unit_name = fields.Char(
        compute="_compute_unit_name", string="Unit", help="The unit of the service's credits, in your language."
    )
    company_display = fields.Char(
        compute="_compute_company_display",
        string="Companies",
        help="The companies using this account; an account of no company serves them all.",
    )
    transaction_ids = fields.One2many("iap.credit.transaction", "account_id", string="Ledger", readonly=True)
    # Kept by the ledger (`iap.credit.transaction._post`) in the statement that moves the
    # credits: counting a ledger of millions of rows on every form read would not scale.
    transaction_count = fields.Integer(
        string="Transactions", readonly=True, default=0, copy=False, help="Number of rows in this account's ledger."
    )
    recent_transaction_ids = fields.Many2many(
        "iap.credit.transaction",
        compute="_compute_recent_transaction_ids",
        string="Latest Movements",
        help="The latest movements of the ledger; the Transactions button shows them all.",
    )
    is_credit_manager = fields.Boolean(compute="_compute_is_credit_manager")
    credit_purchase_pending_count = fields.Integer(
        string="Pending Purchases",
        compute="_compute_credit_purchase_pending",
        help="Credit packs paid but whose payment is not confirmed yet (e.g. a wire transfer).",
    )
    credit_purchase_pending_credits = fields.Float(
        string="Pending Credits",
        digits="IAP Credits",
        compute="_compute_credit_purchase_pending",
        help="Credits that will be added when the pending payments are confirmed.",
    )

    # ------------------------------------------------------------
    # DEFAULTS / COMPUTE
    # ------------------------------------------------------------

    @api.model
    def _default_credit_mode(self):
        return self.env["ir.config_parameter"].sudo().get_param(DEFAULT_MODE_PARAM, "local")

    @api.depends("credit_balance", "credit_reserved")
    def _compute_credit_available(self):
        for account in self:
            account.credit_available = account.credit_balance - account.credit_reserved

    @api.depends("service_id.unit_name")
    @api.depends_context("lang")
    def _compute_unit_name(self):
        for account in self:
            account.unit_name = account.service_id._get_unit_label()

    @api.depends("company_ids")
    @api.depends_context("lang")
    def _compute_company_display(self):
        # The names only, in sudo: an account shared with a company the reader does not
        # work in still says which companies it serves.
        for account in self:
            names = account.sudo().company_ids.mapped("name")
            account.company_display = ", ".join(names) or self.env._("All companies")

    @api.depends_context("uid")
    def _compute_is_credit_manager(self):
        self.is_credit_manager = self.env.user.has_group(MANAGER_GROUP)

    def _compute_recent_transaction_ids(self):
        """The latest rows only, read through the (account, date, id) index: the form of an
        account with millions of movements opens as fast as that of a new one."""
        Transaction = self.env["iap.credit.transaction"]
        for account in self:
            account.recent_transaction_ids = (
                Transaction.search([("account_id", "=", account.id)], limit=RECENT_LEDGER_ROWS)
                if account.id
                else Transaction
            )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model
    def _get_routing_fields(self):
        """Fields that decide which account a service pays with, or how its work is done.

        Only credit managers write them: what a plain user does never changes the account
        a service pays with. The files that add such fields (SMS gateway, digitization
        gateway) extend this set.

        :return: a set of field names
        """
        return {"service_id", "company_ids", "credit_mode", "account_token"}

    @api.model
    def _get_administrator_fields(self):
        """Fields that decide where work and secrets are sent, yet stay readable by managers.

        Only system administrators write them, like the secrets themselves (fields with
        ``groups="base.group_system"`` are guarded by the ORM already). Extended by the
        gateway files.

        :return: a set of field names
        """
        return set()

    def _field_labels(self, field_names):
        """The labels of ``field_names``, in the user's language, for error messages."""
        return ", ".join(sorted(self._fields[name]._description_string(self.env) for name in field_names))

    def _check_credit_manager(self, message):
        """Refuse with ``message`` unless the current user is a credit manager (or the system)."""
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(message)

    @api.model_create_multi
    def create(self, vals_list):
        # Stock gives every internal user create on accounts, and a new account of a service
        # and company is the one `get` returns: only credit managers create (and so copy)
        # accounts. The system's own creation, in `get`, runs as superuser.
        self._check_credit_manager(self.env._("Only IAP credit managers can create or duplicate IAP accounts."))
        for vals in vals_list:
            if any(vals.get(field) for field in LEDGER_FIELDS):
                raise UserError(self.env._("Credits can only be added through the ledger (a grant or a purchase)."))
        accounts = super().create(vals_list)
        accounts._ledger_mark_written()
        accounts.filtered(lambda a: a.credit_mode == "local")._set_local_state()
        return accounts

    def _write_multi(self, vals_list):
        """Override of `base`: every UPDATE of account rows by the ORM goes through here, and
        takes their row locks until the transaction ends (see `_ledger_uses_caller`)."""
        self._ledger_mark_written()
        return super()._write_multi(vals_list)

    def lock_for_update(self, *, allow_referencing=False):
        """Override of `base`: a caller holding the account row's lock has its credits moved
        in its own transaction, or the ledger's transaction would wait for it forever."""
        res = super().lock_for_update(allow_referencing=allow_referencing)
        self._ledger_mark_written()
        return res

    def try_lock_for_update(self, *, allow_referencing=False, limit=None):
        """Override of `base`, as :meth:`lock_for_update` for the rows it locked."""
        locked = super().try_lock_for_update(allow_referencing=allow_referencing, limit=limit)
        locked._ledger_mark_written()
        return locked

    def write(self, vals):
        if LEDGER_FIELDS & set(vals):
            raise UserError(self.env._("Credits can only move through the ledger; they cannot be written directly."))
        routing = self._get_routing_fields() & set(vals)
        if routing:
            self._check_credit_manager(
                self.env._(
                    "Only IAP credit managers can change the service, companies, credit mode or gateway "
                    "of an IAP account (%(fields)s).",
                    fields=self._field_labels(routing),
                )
            )
        administrator = self._get_administrator_fields() & set(vals)
        if administrator and not self.env.su and not self.env.user.has_group("base.group_system"):
            raise AccessError(
                self.env._(
                    "Only administrators can change where an IAP account sends its work (%(fields)s).",
                    fields=self._field_labels(administrator),
                )
            )
        local = self.filtered(lambda a: a.credit_mode == "local")
        if local and not self.env.context.get("disable_iap_update"):
            # Local accounts keep their warning settings here: never push them to Odoo's server.
            super(IapAccount, local.with_context(disable_iap_update=True)).write(vals)
            res = super(IapAccount, self - local).write(vals) if self - local else True
        else:
            res = super().write(vals)
        if vals.get("credit_mode") == "local":
            self._set_local_state()
        return res

    def unlink(self):
        # Without its account, `get` would create a fresh one for the service: deleting an
        # account changes the account the service pays with.
        self._check_credit_manager(self.env._("Only IAP credit managers can delete IAP accounts."))
        return super().unlink()

    def _set_local_state(self):
        """Local accounts are registered, and show their local balance in the stock field."""
        for account in self:
            account.with_context(disable_iap_update=True).write(
                {"state": "registered", "balance": account._format_local_balance()}
            )

    def _format_local_balance(self):
        self.ensure_one()
        amount = f"{self.credit_balance:.4f}".rstrip("0").rstrip(".")
        return f"{amount} {self.service_id.unit_name or ''}".strip()

    def _format_credits(self, credits):
        """``credits`` as Odoo shows quantities to the current user: the 'IAP Credits'
        precision, the separators of the user's language and the service's unit in that
        language, e.g. "1,234.50 Credits" (en_US) or "1 234,50 Crédits" (fr_FR).

        :param float credits: a number of credits of this account's service
        :return: str
        """
        amount = formatLang(self.env, credits, dp="IAP Credits")
        return f"{amount}\N{NO-BREAK SPACE}{self[:1].service_id._get_unit_label()}"

    # ------------------------------------------------------------
    # STOCK OVERRIDES
    # ------------------------------------------------------------

    @api.model
    def get(self, service_name, force_create=True):
        """Override of `iap` to create the missing account of a service as the system.

        The first use of a service by any user creates its account (stock); since only
        credit managers may create accounts, that creation runs as superuser. It only
        ever creates the stock default account, and only when none exists.
        """
        if self.env.su or self.env.user.has_group(MANAGER_GROUP):
            return super().get(service_name, force_create=force_create)
        companies = self.env.companies  # checks the user's allowed companies, as the user
        account = super(IapAccount, self.sudo().with_context(allowed_company_ids=companies.ids)).get(
            service_name, force_create=force_create
        )
        return account.with_env(self.env)

    def web_read(self, specification):
        """Override of `iap` to show the balance of local accounts in the reader's language.

        The stock ``balance`` is a stored text written by the ledger with each movement
        ("488 Credits"); the web client shows it formatted like the other figures of the
        account, with the unit in the reader's language.
        """
        records = super().web_read(specification)
        if "balance" in specification:
            local = {account.id: account for account in self if account.credit_mode == "local"}
            for values in records:
                account = local.get(values["id"])
                if account:
                    values["balance"] = account._format_credits(account.credit_balance)
        return records

    def _get_account_information_from_iap(self):
        """Override of `iap` to ask Odoo's server only about accounts in Odoo IAP mode."""
        remote = self.filtered(lambda a: a.credit_mode == "odoo")
        if remote:
            return super(IapAccount, remote)._get_account_information_from_iap()
        return None

    @api.model
    def get_credits(self, service_name):
        """Override of `iap` to answer from the local ledger for local accounts."""
        account = self.get(service_name, force_create=False)
        if account and account.credit_mode == "local":
            return account.credit_available
        return super().get_credits(service_name)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_transactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("iap_credits.iap_credit_transaction_action")
        action["domain"] = [("account_id", "=", self.id)]
        action["context"] = {"search_default_account_id": self.id}
        return action

    def action_open_adjustment_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Grant / Adjust Credits"),
            "res_model": "iap.credit.adjustment",
            "view_mode": "form",
            "target": "new",
            "context": {"default_account_id": self.id},
        }

    # ------------------------------------------------------------
    # LEDGER API — private: nothing that moves credits is callable over RPC
    # ------------------------------------------------------------

    def _ledger_uses_caller(self):
        """Whether the ledger must move this account's credits in the caller's transaction
        rather than in a short transaction of its own (see `iap.credit.transaction._post`).

        Yes when the caller's transaction created, wrote or locked the account row: another
        transaction could not see the new row, or would wait forever behind the caller's
        own lock on it; while modules are loaded (installed, upgraded); and when the caller
        is a test's transaction, which is rolled back at
        its end and beside which nothing may be committed (a test's real workers have
        cursors of their own and are treated as any worker).
        """
        self.ensure_one()
        cr = self.env.cr
        if self.id in cr.postrollback.data.get(WRITTEN_ACCOUNTS, ()):
            return True
        # While modules install or upgrade (demo data, hooks, migrations), the loading
        # transaction may hold a table lock on iap_account (a module adding a column to it):
        # a ledger transaction of its own would wait for it forever.
        if not self.env.registry.ready:
            return True
        return in_test_transaction(cr)

    def _ledger_mark_written(self):
        """Remember that the current transaction wrote (and so locked) these account rows."""
        if self:
            self.env.cr.postrollback.data.setdefault(WRITTEN_ACCOUNTS, set()).update(self._ids)

    def _credits_check_movable(self, credits):
        """The checks of a new movement that need no query: a positive amount, and the
        caller's access rights on accounts. Those that read the account (a local account,
        one the caller's record rules let it read) are guards of the movement's statement
        (`iap.credit.transaction._post`); when it is refused, :meth:`_credits_refusal`
        says why."""
        self.ensure_one()
        if float_compare(credits, 0.0, precision_digits=4) <= 0:
            raise UserError(self.env._("The number of credits must be positive."))
        if not self.env.su:
            self.browse().check_access("read")  # the model's access rights (cached): no query

    def _credits_refusal(self, credits):
        """Why the ledger refused a new movement of ``credits``, as the error to raise: the
        account is not local, the caller may not use it (record rules: a user never moves
        credits of another company's account), else too few credits are available."""
        self.ensure_one()
        if self.credit_mode != "local":
            return UserError(
                self.env._(
                    "The account %(account)s uses Odoo IAP: its credits are not kept in this database.",
                    account=self.display_name,
                )
            )
        if not self.env.su:
            self.check_access("read")
        return self._credits_insufficient_error(credits)

    @api.model
    @tools.ormcache("self.env.uid", "self.env.su", "tuple(self.env['ir.rule']._compute_domain_context_values())")
    def _ledger_access_condition(self):
        """The caller's record rules on accounts, as a condition of the movement's statement
        on the table ``iap_account`` (literal SQL text, ``%`` doubled), or ``""``.

        Cached as ``ir.rule`` caches the rules' domain (same key, cleared with it), so
        that a charge checks the caller's access in its own statement, at no query nor
        domain evaluation of its own.
        """
        if self.env.su:
            return ""
        domain = self.env["ir.rule"]._compute_domain(self._name, "read")
        if domain.is_true():
            return ""
        if domain.is_false():
            return "\n           AND FALSE"
        query = self.sudo().with_context(active_test=False)._search(domain)
        if query._joins:
            condition = SQL("%s IN %s", SQL.identifier(self._table, "id"), query.subselect())
        else:
            condition = query.where_clause
        text = self.env.cr.mogrify(condition.code, condition.params).decode()
        return "\n           AND " + text.replace("%", "%%")

    @api.model
    def _credits_moved_fields(self):
        """Names of the account fields the ledger returns with each movement and puts in
        the caches: those a movement changes, and those :meth:`_credits_moved` reads.
        Extended by the listeners of the hook."""
        return {*LEDGER_FIELDS, "balance"}

    def _credits_moved(self, available):
        """Hook: the credits of this account just moved; the new balances are in the cache.

        Called in the ledger's transaction: right after the movement's commit when the
        movement was a statement of its own (then what the hook writes is committed on
        its own, at once), else before the commit, the account row locked. So a listener
        derives what it writes from the account row as it is when it writes (another
        movement may have committed since), keeps it cheap, and returns the names of the
        account fields it wrote, so that the ledger hands their new values to the
        caller's cache. A no-op here; the low-credit alerts override it.

        :param float available: the available credits right after the movement
        :return: a collection of field names
        """
        return ()

    def _credits_reserve(self, credits, description, reference=None, origin=None, expires_at=None):
        """Hold ``credits`` for work about to be done.

        :return: the reservation (`iap.credit.transaction`), to capture or release
        :raise InsufficientCreditError: when fewer credits are available
        """
        self._credits_check_movable(credits)
        if expires_at is None:
            minutes = int(self.env["ir.config_parameter"].sudo().get_param(HOLD_MINUTES_PARAM, DEFAULT_HOLD_MINUTES))
            expires_at = fields.Datetime.now() + timedelta(minutes=minutes)
        hold = self.env["iap.credit.transaction"]._post(
            self,
            [
                {
                    "kind": "reservation",
                    "credits": 0.0,
                    "reserved_change": credits,
                    "description": description,
                    "reference": reference,
                    "hold_expires_at": expires_at,
                }
            ],
            origin=origin,
        )
        if not hold:
            raise self._credits_refusal(credits)
        return hold

    def _credits_capture(self, hold, credits=None, description=None, record=None):
        """Spend ``credits`` (all of the hold when None) and release the rest of it.

        Committed at once in the ledger's own transaction (see
        `iap.credit.transaction._post`), with what ``record(env)`` writes, if given: the
        record of the work paid for, so that the work and its charge are committed
        together, whatever happens to the caller's transaction afterwards.

        Idempotent per hold: a hold closes once. Capturing again a hold captured with the
        same credits moves nothing and returns that capture (``record`` is not called);
        capturing a hold closed otherwise (released, e.g. expired, or captured for a
        different amount) raises.

        :return: the capture row, or an empty recordset when nothing was captured
        :raise UserError: when the hold was closed otherwise
        """
        self.ensure_one()
        hold.ensure_one()
        held = hold.reserved_change
        credits = held if credits is None else credits
        if hold.kind != "reservation" or hold.account_id != self:
            raise UserError(self.env._("Only a reservation of this account can be captured."))
        if float_compare(credits, 0.0, precision_digits=4) < 0 or float_compare(credits, held, precision_digits=4) > 0:
            raise UserError(
                self.env._(
                    "Cannot capture %(credits)s from a reservation of %(held)s.",
                    credits=self._format_credits(credits),
                    held=self._format_credits(held),
                )
            )
        rows = []
        if not float_is_zero(credits, precision_digits=4):
            rows.append(
                {
                    "kind": "capture",
                    "credits": -credits,
                    "reserved_change": -credits,
                    "description": description or hold.description,
                    "reference": hold.reference,
                }
            )
        rest = held - credits
        if not float_is_zero(rest, precision_digits=4):
            rows.append(
                {
                    "kind": "release",
                    "credits": 0.0,
                    "reserved_change": -rest,
                    "description": self.env._("Unused part of: %(description)s", description=hold.description),
                    "reference": hold.reference,
                }
            )
        closing = self._credits_close(hold, rows, record=record)
        capture = closing.filtered(lambda t: t.kind == "capture")
        if float_compare(-sum(capture.mapped("credits")), credits, precision_digits=4):
            raise UserError(self.env._("This reservation was already captured or released."))
        return capture

    def _credits_release(self, hold, description=None):
        """Give back all the credits of a reservation that was not captured.

        Idempotent per hold: releasing a released hold moves nothing and returns that
        release; releasing a captured hold raises.

        :raise UserError: when the hold was captured
        """
        self.ensure_one()
        hold.ensure_one()
        if hold.kind != "reservation" or hold.account_id != self:
            raise UserError(self.env._("Only a reservation of this account can be released."))
        closing = self._credits_close(
            hold,
            [
                {
                    "kind": "release",
                    "credits": 0.0,
                    "reserved_change": -hold.reserved_change,
                    "description": description or self.env._("Released: %(description)s", description=hold.description),
                    "reference": hold.reference,
                }
            ],
        )
        if closing.filtered(lambda t: t.kind == "capture"):
            raise UserError(self.env._("This reservation was already captured or released."))
        return closing

    def _credits_close(self, hold, rows, record=None):
        """Close ``hold`` with ``rows`` (a capture and/or a release), once.

        The first row of a closure carries the key ``hold:<id>:close``: of two closures
        racing each other, the later one meets the unique key and moves nothing.

        :return: the rows closing the hold, this call's or those of an earlier closure
        """
        rows[0]["idempotency_key"] = f"hold:{hold.id}:close"
        for row in rows[1:]:
            row["idempotency_key"] = f"hold:{hold.id}:{row['kind']}"
        closing = self.env["iap.credit.transaction"]._post(self, rows, hold=hold, record=record)
        return closing.filtered(lambda t: t.hold_id == hold) if closing else closing

    @contextmanager
    def _credits_charge(self, credits, description, reference=None, origin=None):
        """Hold ``credits``, run the block, capture on success, release on exception.

        The hold is committed before the block runs and the capture (or release) right
        after it ends, each in the ledger's own short transaction: the account is never
        locked while the block works, and the release does not depend on the state of
        the caller's transaction. The block runs inside a savepoint, so that a database
        error in it leaves the caller's transaction usable.

        :raise InsufficientCreditError: when fewer credits are available (nothing held)
        """
        hold = self._credits_reserve(credits, description, reference=reference, origin=origin)
        charge = CreditCharge(hold=hold, credits=credits)
        try:
            with self.env.cr.savepoint():
                yield charge
        except Exception:
            self._credits_release(hold)
            raise
        self._credits_capture(hold, credits=charge.credits)

    def _credits_grant(self, credits, description, kind="grant", idempotency_key=None, origin=None, is_test=False):
        """Add ``credits`` with a ledger row (grants, purchases, positive adjustments).

        With an ``idempotency_key`` already recorded on this account, nothing moves and
        the existing row is returned: a payment is granted once, however often it is
        processed. ``is_test`` marks the row of a purchase made with a payment provider in
        test mode (no money was paid).

        :return: the ledger row
        """
        self._credits_check_movable(credits)
        Transaction = self.env["iap.credit.transaction"]
        existing = self._credits_find_movement(idempotency_key)
        if existing:
            return existing
        posted = Transaction._post(
            self,
            [
                {
                    "kind": kind,
                    "credits": credits,
                    "description": description,
                    "idempotency_key": idempotency_key,
                    "is_test": is_test,
                }
            ],
            origin=origin,
        )
        if not posted:
            raise self._credits_refusal(credits)
        return posted

    def _credits_find_movement(self, idempotency_key):
        """The ledger row recorded on this account under ``idempotency_key``, if any."""
        self.ensure_one()
        if not idempotency_key:
            return self.env["iap.credit.transaction"]
        return (
            self.env["iap.credit.transaction"]
            .sudo()
            .search([("account_id", "=", self.id), ("idempotency_key", "=", idempotency_key)], limit=1)
        )

    def _credits_debit(self, credits, description, kind="adjustment", idempotency_key=None, origin=None, is_test=False):
        """Take ``credits`` away with a ledger row (negative adjustments, refunds).

        Never takes the available credits below zero. ``is_test`` marks the refund of a
        test-mode purchase.

        :raise InsufficientCreditError: when fewer credits are available
        """
        self._credits_check_movable(credits)
        Transaction = self.env["iap.credit.transaction"]
        existing = self._credits_find_movement(idempotency_key)
        if existing:
            return existing
        posted = Transaction._post(
            self,
            [
                {
                    "kind": kind,
                    "credits": -credits,
                    "description": description,
                    "idempotency_key": idempotency_key,
                    "is_test": is_test,
                }
            ],
            origin=origin,
        )
        if not posted:
            raise self._credits_refusal(credits)
        return posted

    def _credits_insufficient_error(self, credits):
        """The stock error, with a message naming the service and how to buy credits."""
        self.ensure_one()
        self.invalidate_recordset(["credit_available"])
        service = self.sudo().service_id
        error = InsufficientCreditError(
            self.env._(
                "Not enough %(service)s credits: %(needed)s needed, %(available)s available. "
                "Buy credits from Settings → Contacts → Odoo IAP → View My Services → %(account)s → Buy Credit.",
                service=service.name,
                needed=formatLang(self.env, credits, dp="IAP Credits"),
                available=formatLang(self.env, self.credit_available, dp="IAP Credits"),
                account=self.display_name,
            )
        )
        error.data = {
            "service_name": service.technical_name,
            "credit": self.credit_available,
            "needed": credits,
        }
        return error

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_release_expired_holds(self, batch_size=500):
        """Scheduled action: release reservations past their expiry, batch by batch."""
        while True:
            released = self._release_expired_holds(limit=batch_size)
            if released < batch_size:
                self.env["ir.cron"]._commit_progress(released, remaining=0)
                return
            if not self.env["ir.cron"]._commit_progress(released):
                return

    @api.model
    def _release_expired_holds(self, limit=500):
        """Release up to ``limit`` reservations past their expiry.

        Such holds are left by work that never finished, e.g. a worker that died between
        the hold and the capture; their credits become available again, unless the hold's
        origin records its work as done (see `_credits_settle`): then they are captured.

        :return: how many reservations were released
        """
        self.env.cr.execute(
            """
            SELECT t.id FROM iap_credit_transaction t
             WHERE t.kind = 'reservation' AND t.hold_expires_at < %s
               AND NOT EXISTS (SELECT 1 FROM iap_credit_transaction c WHERE c.hold_id = t.id)
             ORDER BY t.id LIMIT %s
            """,
            (fields.Datetime.now(), limit),
        )
        holds = self.env["iap.credit.transaction"].sudo().browse([row[0] for row in self.env.cr.fetchall()])
        for hold in holds:
            hold.account_id.sudo()._credits_settle(hold, expired=True)
        return len(holds)

    def _credits_settle(self, hold, expired=False):
        """Close ``hold`` by the outcome its origin recorded: capture what the work it paid
        for is recorded as done, release it otherwise.

        The origin (``hold.origin_ref``) answers through ``_credits_hold_done(hold)``: the
        credits to capture, or None when its work is not recorded as done. Used for holds
        whose capture waits for the caller's commit (`iap.credit.dispatch._dispatch` with
        ``settle_after_commit``), and by the expiry job: a worker that died after its
        business commit, before the capture, left work done that is charged, never given
        back; a hold without such an origin is released.
        """
        self.ensure_one()
        origin = hold.origin_ref
        done = None
        if origin and hasattr(origin, "_credits_hold_done") and origin.exists():
            done = origin._credits_hold_done(hold)
        if done is not None:
            return self._credits_capture(hold, min(done, hold.reserved_change))
        description = self.env._("Expired: %(description)s", description=hold.description) if expired else None
        return self._credits_release(hold, description=description)

    def _demo_spend(self, credits, description):
        """Demo data: a charge and a hold released, so the ledger shows every kind of row."""
        with self._credits_charge(credits, description, reference="demo"):
            pass
        self._credits_release(self._credits_reserve(credits, description, reference="demo"))

    # ------------------------------------------------------------
    # CREDIT PURCHASE (credit packs paid through `payment`)
    # ------------------------------------------------------------

    def _compute_credit_purchase_pending(self):
        # In sudo: payment transactions are readable by administrators only, and this only counts them.
        groups = (
            self.env["payment.transaction"]
            .sudo()
            ._read_group(
                [("iap_credit_account_id", "in", self.ids), ("state", "in", ("pending", "authorized"))],
                ["iap_credit_account_id"],
                ["__count", "iap_credits:sum"],
            )
        )
        pending = {account.id: (count, credits) for account, count, credits in groups}
        for account in self:
            account.credit_purchase_pending_count, account.credit_purchase_pending_credits = pending.get(
                account.id, (0, 0.0)
            )

    @api.model
    def get_credits_url(self, service_name, account_token=None):
        """Override of `iap` to send buyers of a local account to this database's pack page.

        Used by the stock "buy credits" links: no-credit notifications, SMS failure
        messages, mass SMS, ...
        """
        if not account_token:
            account = self._get_local_account_for_purchase(service_name)
            if account:
                return f"{account.get_base_url()}{account._get_buy_credits_path()}"
        return super().get_credits_url(service_name, account_token=account_token)

    @api.model
    def _get_local_account_for_purchase(self, service_name):
        """The local account of ``service_name`` for the current companies, if any.

        Unlike the stock ``get``, never creates nor deletes an account.
        """
        return self.search(
            [
                ("service_name", "=", service_name),
                ("credit_mode", "=", "local"),
                "|",
                ("company_ids", "in", self.env.companies.ids),
                ("company_ids", "=", False),
            ],
            order="id desc",
            limit=1,
        )

    def _get_buy_credits_path(self):
        self.ensure_one()
        return f"/iap_credits/buy/{self.id}"

    def action_buy_credits(self):
        """Override of `iap` to open this database's pack page for local accounts."""
        if len(self) != 1 or self.credit_mode != "local":
            return super().action_buy_credits()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only IAP credit managers can buy credits."))
        return {"type": "ir.actions.act_url", "url": self._get_buy_credits_path(), "target": "self"}
