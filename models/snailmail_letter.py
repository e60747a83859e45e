# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import AccessError

from .iap_account import in_test_transaction
from .iap_account_snailmail import SNAILMAIL_SERVICE


class SnailmailLetter(models.Model):
    """Letters of companies whose snail mail account is local are posted through local
    credits and the account's provider (`iap.snailmail.post`); the others go to Odoo's
    IAP server as in stock. Everything users see — Send & Print *by Post*, the letter's
    states and error codes, the chatter's failure notifications, *Send Now*, the letters
    in error, the queue job — is the stock one."""

    _name = "snailmail.letter"
    _inherit = ["snailmail.letter", "iap.state.machine.mixin"]

    @api.model_create_multi
    def create(self, vals_list):
        """Override of `snailmail`: a letter is paid by its company's account, so a user
        only creates letters of the companies they belong to (stock lets any internal user
        create letters for any company over RPC)."""
        self._iap_credits_check_companies([vals.get("company_id") for vals in vals_list])
        return super().create(vals_list)

    def write(self, vals):
        if "company_id" in vals:
            self._iap_credits_check_companies([vals["company_id"]])
        return super().write(vals)

    def _iap_credits_check_companies(self, company_ids):
        if self.env.su:
            return
        foreign = {company_id for company_id in company_ids if company_id} - set(self.env.user.company_ids.ids)
        if foreign:
            raise AccessError(self.env._("You cannot send letters paid by a company you do not belong to."))

    def _iap_credits_split(self):
        """The letters by the account that pays for them.

        :return: ``({local account: letters}, letters of Odoo IAP accounts)``
        """
        local, stock = {}, self.browse()
        Account = self.env["iap.account"]
        for company, letters in self.grouped("company_id").items():
            account = Account._account_for(SNAILMAIL_SERVICE, company)
            if account.credit_mode == "local":
                local[account] = local.get(account, self.browse()) | letters
            else:
                stock |= letters
        return local, stock

    def _snailmail_print(self, immediate=True):
        """Override of `snailmail`: letters of local accounts are posted here; queued ones
        (Send & Print, which does not post at once) wake the stock queue job up instead of
        waiting for its daily run.

        Stock commits after each letter posted, so that a letter the provider accepted is
        never posted again by a retry; so does this, except in a test's own transaction,
        which must never be committed (the outbox row committed with the charge guards the
        letter there).
        """
        local, stock = self._iap_credits_split()
        if stock:
            super(SnailmailLetter, stock)._snailmail_print(immediate=immediate)
        letters = self.browse().union(*local.values())
        if not letters:
            return
        valid = letters.filtered(lambda letter: letter._is_valid_address(letter))
        (letters - valid)._snailmail_print_invalid_address()
        if not valid:
            return
        if not immediate:
            self.env.ref("snailmail.snailmail_print")._trigger()
            return
        for letter in valid:
            letter._snailmail_print_valid_address()
            if not in_test_transaction(self.env.cr):
                self.env.cr.commit()  # pylint: disable=invalid-commit

    def _snailmail_print_valid_address(self):
        """Override of `snailmail`: post the letters of local accounts with local credits."""
        local, stock = self._iap_credits_split()
        for account, letters in local.items():
            self.env["iap.snailmail.post"]._post_letters(account, letters)
        if stock:
            return super(SnailmailLetter, stock)._snailmail_print_valid_address()
        return None

    @api.model
    def _snailmail_cron(self, autocommit=True):
        """Override of `snailmail`: the queue job also retries the letters of local accounts
        whose provider failed (unreachable, server error, timeout), a few times; stock
        retries only credit, attachment and address errors."""
        res = super()._snailmail_cron(autocommit=autocommit)
        for letter in self.env["iap.snailmail.post"]._letters_to_retry():
            letter._snailmail_print()
            if autocommit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return res

    # ------------------------------------------------------------
    # OUTCOMES — the stock letter, its notifications and chatter message
    # ------------------------------------------------------------

    def _iap_credits_state_moves(self, allowed_states, target_state):
        """The letters whose stock state may move to ``target_state``; the others are left as
        they are (a letter sent is never put back in error by a late failure, a cancelled one
        never posted), see `iap.state.machine.mixin`. Only this addon's outcomes go through
        it: stock's own writes of the state (Send Now, Cancel, Odoo IAP) are stock's.

        :return: the letters to move
        """
        return self._state_moves("state", target_state, allowed_states)

    def _iap_credits_set_sent(self, provider_ref):
        """The letter was accepted by the provider: the stock *sent* state and notification.

        :return: the letters set sent
        """
        sent = self._iap_credits_state_moves(("pending", "error"), "sent")
        if not sent:
            return sent
        note = Markup(self.env._("The document was correctly sent by post.<br>The tracking id is %s")) % (
            provider_ref or "-"
        )
        sent.write({"info_msg": note, "state": "sent", "error_code": False})
        sent.notification_ids.sudo().write(
            {"notification_status": "sent", "failure_type": False, "failure_reason": False}
        )
        self.env["iap.account"]._send_success_notification(message=self.env._("Snail Mails are successfully sent"))
        return sent

    def _iap_credits_set_error(self, error_code, reason, note_only=False, extra_allowed_states=()):
        """The letter was not posted (nothing charged): the stock error state, code and
        chatter notification, with the reason.

        :param str error_code: a stock error code (``MISSING_REQUIRED_FIELDS``, ...)
        :param reason: why, translated (text or markup)
        :param bool note_only: the letter's state and message are set already (by stock)
        :param tuple extra_allowed_states: states left for error besides ``pending`` and
            ``error``: ``sent`` when the provider cancelled the letter
        :return: the letters set in error
        """
        failed = self._iap_credits_state_moves(("pending", "error", *extra_allowed_states), "error")
        if not failed:
            return failed
        note = Markup(self.env._("An error occurred when sending the document by post.<br>Error: %s")) % (
            reason or self._get_error_message(error_code)
        )
        if note_only:
            note = reason or note
        else:
            failed.write({"info_msg": note, "state": "error", "error_code": error_code})
        failed.notification_ids.sudo().write(
            {
                "notification_status": "exception",
                "failure_type": self._get_failure_type(error_code),
                "failure_reason": note,
            }
        )
        return failed

    def _iap_credits_set_canceled(self):
        """The company's user cancelled the letter at the provider: stock's cancellation.

        :return: the letters cancelled
        """
        canceled = self._iap_credits_state_moves(("pending", "sent"), "canceled")
        canceled.cancel()
        return canceled
