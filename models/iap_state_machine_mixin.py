# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""State transitions with allowed source states, the pattern of
`payment.transaction._update_state`: a late outcome (a failure reported after the work was
done, a second worker's result, a provider's report that arrived out of order) never moves
a record back."""

import logging

from odoo import models

_logger = logging.getLogger(__name__)


class IapStateMachineMixin(models.AbstractModel):
    """Records whose state only moves through ``_set_<state>`` methods.

    Each ``_set_<state>`` method of a model calls :meth:`_state_moves` (or
    :meth:`_state_set`) with its state field and the states the target may be reached
    from, and acts on the records returned only. A model may keep several such fields
    (an outbox row: its own state, and its provider's status).
    """

    _name = "iap.state.machine.mixin"
    _description = "IAP State Machine Mixin"

    def _state_moves(self, field, target_state, allowed_states):
        """The records whose ``field`` may move to ``target_state``; the others are left as
        they are (and logged, for debugging).

        :param str field: the state field
        :param str target_state: the state moved to
        :param allowed_states: the states it may be reached from (``False``: no state yet),
            or ``allowed_states(record) -> bool`` for a rule that is not a list (an order
            of statuses)
        :return: the records to move
        """
        if callable(allowed_states):
            moving = self.filtered(allowed_states)
        else:
            moving = self.filtered(lambda record: record[field] in allowed_states)
        for record in self - moving:
            _logger.debug(
                "Refused to move %s from %s %s to %s; allowed source states are %s",
                record,
                field,
                record[field] or "none",
                target_state,
                "those of its rule" if callable(allowed_states) else allowed_states,
            )
        return moving

    def _state_set(self, field, target_state, allowed_states, values=None):
        """Move the records whose ``field`` allows it to ``target_state``, with ``values``.

        Written as the system: state fields are written by this addon's transitions only
        (each model guards them in ``write``).

        :param dict values: the other fields written with the state
        :return: the records that moved
        """
        moving = self._state_moves(field, target_state, allowed_states)
        if moving:
            moving.sudo().write({field: target_state, **(values or {})})
        return moving
