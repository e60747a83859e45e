# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The ledger API of an account: reserve, capture, release, grant and debit credits."""

from contextlib import contextmanager
from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero, formatLang

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from .iap_account import (
    DEFAULT_HOLD_MINUTES,
    HOLD_MINUTES_PARAM,
    CreditCharge,
)


class IapAccount(models.Model):
    _inherit = "iap.account"

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
        return self._credits_adjust(credits, 1, description, kind, idempotency_key, origin, is_test)

    def _credits_debit(self, credits, description, kind="adjustment", idempotency_key=None, origin=None, is_test=False):
        """Take ``credits`` away with a ledger row (negative adjustments, refunds).

        Never takes the available credits below zero. ``is_test`` marks the refund of a
        test-mode purchase. Idempotent per ``idempotency_key``, as :meth:`_credits_grant`.

        :return: the ledger row
        :raise InsufficientCreditError: when fewer credits are available
        """
        return self._credits_adjust(credits, -1, description, kind, idempotency_key, origin, is_test)

    def _credits_adjust(self, credits, sign, description, kind, idempotency_key=None, origin=None, is_test=False):
        """Post one settled movement of ``credits`` (positive), added when ``sign`` is 1,
        taken away when it is -1, once per ``idempotency_key``: the body of
        :meth:`_credits_grant` and :meth:`_credits_debit`.

        :return: the ledger row (the existing one when the key was already recorded)
        :raise InsufficientCreditError: when the statement refused it (see :meth:`_credits_refusal`)
        """
        self._credits_check_movable(credits)
        existing = self._credits_find_movement(idempotency_key)
        if existing:
            return existing
        posted = self.env["iap.credit.transaction"]._post(
            self,
            [
                {
                    "kind": kind,
                    "credits": sign * credits,
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
