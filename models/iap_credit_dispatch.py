# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging
from dataclasses import dataclass, field
from functools import partial

from odoo import api, models
from odoo.tools import float_round

_logger = logging.getLogger(__name__)


@dataclass
class DispatchResult:
    """What `iap.credit.dispatch._dispatch` did with a batch of work."""

    account: models.BaseModel
    outcomes: list = field(default_factory=list)
    credits_held: float = 0.0
    credits_charged: float = 0.0


class IapCreditDispatch(models.AbstractModel):
    """The one place where services turn work into credits.

    Given a service, a company and a batch of work items, it finds the account, prices
    the work, reserves the credits, hands the work to the gateway (a callable of the
    service), then captures the price of what succeeded and releases the rest. Work
    refused before it reaches the gateway (invalid number, unreadable document) is never
    priced by the caller, and work that fails is never charged.

    The hold is committed before the gateway is called, and the capture as soon as the
    gateway answered, each in the ledger's own short transaction (see
    `iap.credit.transaction._post`): no lock is held while the gateway works. What a
    crash at each point leaves (the caller's transaction is then rolled back):

    ======================================  =============================================
    crash                                   outcome
    ======================================  =============================================
    after the hold, before or while the     the hold stays active until it expires, then
    gateway works                           the expiry job releases it: nothing charged
                                            (with ``settle_after_commit``: unless the
                                            caller's work was committed, see below)
    after the gateway answered, before the  the same: the answer was never recorded, the
    capture is committed                    work is redone (and charged) by the retry
    after the capture is committed          the work is recorded with its charge (the
                                            ``record`` callback, same commit): a retry
                                            finds it done, never resends nor recharges
    before the caller's transaction         as above: the charge and the record of the
    commits                                 work stay committed; the caller's own rows are
                                            rolled back and rebuilt from that record
    with ``settle_after_commit`` (work       the caller's rollback releases the hold; after
    recorded by the caller's own rows,       its commit the hold is captured if the origin
    e.g. a digitized bill): crash before     records the work as done; a worker that died
    or after the caller's commit             in between leaves the hold to the expiry job,
                                            which settles it the same way
    ======================================  =============================================
    """

    _name = "iap.credit.dispatch"
    _description = "IAP Credit Dispatch"

    @api.model
    def _get_account(self, service_name, company=None):
        """Deprecated alias of `iap.account._account_for`, kept until its last callers
        (the SMS files) call that directly."""
        return self.env["iap.account"]._account_for(service_name, company)

    @api.model
    def _dispatch(
        self,
        account,
        items,
        price,
        perform,
        description,
        reference=None,
        origin=None,
        record=None,
        settle_after_commit=False,
    ):
        """Charge a batch of work on a local account, item by item.

        :param account: a local `iap.account` (see `iap.account._account_for`)
        :param list items: the work items, in any form the gateway understands
        :param price: ``price(item) -> credits``
        :param perform: ``perform(items) -> outcomes``, one outcome per item, in order; an
            outcome is a dict whose ``success`` key says whether the item is done (the
            rest of the dict is the gateway's, handed back untouched)
        :param str description: ledger description of the batch
        :param record: ``record(env, outcomes)``, called in the transaction that commits the
            capture, to commit the record of the work done together with its charge
        :param bool settle_after_commit: for work whose record is the caller's own rows
            (``origin`` must implement ``_credits_hold_done``): the hold is settled after the
            caller's transaction commits, by what ``origin`` then records as done, and released
            if that transaction rolls back (see `iap.account._credits_settle`)
        :return: a :class:`DispatchResult`
        :raise InsufficientCreditError: when the batch cannot be paid; nothing is held
            and ``perform`` is not called
        """
        account.ensure_one()
        prices = [price(item) for item in items]
        total = float_round(sum(prices), precision_digits=4)
        if not items:
            return DispatchResult(account=account)
        if not total:
            # Free work (price 0): nothing to hold, nothing to charge.
            outcomes = list(perform(items))
            if record:
                record(self.env, outcomes)
            return DispatchResult(account=account, outcomes=outcomes)
        account = account.sudo()
        hold = account._credits_reserve(total, description, reference=reference, origin=origin)
        try:
            outcomes = list(perform(items))
        except Exception:
            _logger.exception("Gateway failed on a batch of %s items of %s", len(items), account.service_name)
            account._credits_release(hold)
            raise
        if len(outcomes) != len(items):
            account._credits_release(hold)
            raise ValueError(f"The gateway returned {len(outcomes)} outcomes for {len(items)} items.")
        charged = float_round(
            sum(item_price for item_price, outcome in zip(prices, outcomes, strict=True) if outcome.get("success")),
            precision_digits=4,
        )
        if settle_after_commit and not account._ledger_uses_caller():
            # Capturing now would charge work whose record the caller may still lose (a
            # killed cron commits nothing): the hold is settled once that record is committed.
            cr = self.env.cr
            cr.postcommit.add(partial(self._settle_hold, account.id, hold.id, False))
            cr.postrollback.add(partial(self._settle_hold, account.id, hold.id, True))
        else:
            account._credits_capture(hold, charged, record=record and (lambda env: record(env, outcomes)))
        return DispatchResult(account=account, outcomes=outcomes, credits_held=total, credits_charged=charged)

    def _settle_hold(self, account_id, hold_id, rolled_back):
        """After the caller's commit (or rollback): settle a hold, in a transaction of its own."""
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr, su=True)
            account = env["iap.account"].browse(account_id)
            hold = env["iap.credit.transaction"].browse(hold_id)
            try:
                if rolled_back:
                    account._credits_release(hold)
                else:
                    account._credits_settle(hold)
            except Exception:  # the expiry job settles what could not be settled now
                _logger.exception("Could not settle the credit hold %s; the expiry job will", hold_id)
                cr.rollback()
