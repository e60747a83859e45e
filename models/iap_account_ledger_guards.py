# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The ledger's guards (who may move an account's credits, in which transaction, how many)
and its one movement hook, `_credits_moved`."""

from odoo import api, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare

from .iap_account import (
    LEDGER_FIELDS,
    WRITTEN_ACCOUNTS,
    in_test_transaction,
)


class IapAccount(models.Model):
    _inherit = "iap.account"

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
