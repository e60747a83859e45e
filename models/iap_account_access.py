# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Who may create, change and delete `iap.account` records: credit managers route services
(the account a service pays with, its mode, its gateway), administrators where work and
secrets go, and nobody writes the ledger's fields (`LEDGER_FIELDS`); local accounts keep
their settings away from Odoo's IAP server."""

from odoo import api, models
from odoo.exceptions import AccessError, UserError

from .iap_account import LEDGER_FIELDS, MANAGER_GROUP


class IapAccount(models.Model):
    _inherit = "iap.account"

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
