# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging
from dataclasses import dataclass

from odoo import api, fields, models
from odoo.modules import module
from odoo.tools import SQL, formatLang

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
# The stock text ``balance`` of a local account ("488 Credits", "12.5 Pages"): its settled
# credits without trailing zeros and the unit of its service, as SQL on the table
# ``iap_account`` of ``{amount}`` (the credits) and ``{unit}`` (the unit, see
# `IapAccount._local_balance_unit_sql`). The one definition of that text: the ledger's
# statement writes it with each movement, of the balance after it, in the same UPDATE
# (no query of its own); `_set_local_state` when an account becomes local.
LOCAL_BALANCE_SQL = "trim_scale({amount})::text || COALESCE(' ' || NULLIF(({unit}), ''), '')"


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
    # LOCAL STATE AND BALANCE TEXT
    # ------------------------------------------------------------

    def _set_local_state(self):
        """Local accounts are registered, and show their local balance in the stock field."""
        if not self:
            return
        self.flush_recordset(["service_id"])
        balance = SQL(
            LOCAL_BALANCE_SQL.format(amount="iap_account.credit_balance", unit="%s"), self._local_balance_unit_sql()
        )
        texts = dict(
            self.env.execute_query(SQL("SELECT id, %s FROM iap_account WHERE id IN %s", balance, tuple(self.ids)))
        )
        for account in self:
            account.with_context(disable_iap_update=True).write({"state": "registered", "balance": texts[account.id]})

    @api.model
    def _local_balance_unit_sql(self):
        """The unit of the service of the account row ``iap_account``, in the current language,
        for :data:`LOCAL_BALANCE_SQL`.

        :return: SQL
        """
        unit_name = self.env["iap.service"]._field_to_sql("iap_service", "unit_name")
        return SQL("SELECT %s FROM iap_service WHERE iap_service.id = iap_account.service_id", unit_name)

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
