# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The low-credit alert job of `iap.account`: due alerts rendered and emailed.

The job (hourly, and at once when a crossing triggers it; the alert state is in
``iap_account_alert.py``) first catches, in one set-based ``UPDATE``, accounts that
went low without a ledger crossing (levels changed, balances corrected by hand), then,
for a batch of accounts at once and through mail's own API, renders the template once
per recipient language, creates the ``mail.mail`` (one per recipient address; the stock
mail queue sends them), notes the alert in each account's chatter
(``_message_log_batch``) and logs it. It never writes the account rows while it sends,
so it never makes a debit wait or retry.
"""

import logging
from collections import defaultdict
from urllib.parse import urljoin

from markupsafe import Markup

from odoo import api, fields, models
from odoo.orm.models import INSERT_BATCH_SIZE
from odoo.tools import SQL, split_every
from odoo.tools.mail import email_normalize

from odoo.addons.iap_credits.tools.credit_alert import split_addresses

from .iap_account_alert import ALERT_STATE_FIELDS
from .ir_qweb import QWEB_COMPILE_MEMO, QwebCompileMemo

_logger = logging.getLogger(__name__)

ALERT_TEMPLATE_XMLID = "iap_credits.mail_template_credit_alert"
# An account whose alert is due: below a level, and its last crossing not alerted yet.
_PENDING = SQL(
    """
    a.credit_mode = 'local' AND a.warning_alert_level IS NOT NULL AND a.warning_alert_seq > 0
    AND NOT EXISTS (SELECT 1 FROM iap_credit_alert l WHERE l.account_id = a.id AND l.sequence = a.warning_alert_seq)
    """
)


class IapAccount(models.Model):
    _inherit = "iap.account"

    warning_buy_url = fields.Char(
        compute="_compute_warning_buy_url",
        help="Technical: the Buy Credit page of this account, as an absolute URL for emails.",
    )

    # ------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------

    def _compute_warning_buy_url(self):
        """The target of the account's Buy Credit button (`action_buy_credits`), made absolute.

        The stock URL points to Odoo's IAP server; the local Buy Credit page, relative
        to this database, gets this database's base URL in front.
        """
        for account in self:
            if account.credit_mode == "local":
                url = account._get_buy_credits_path()
            else:
                url = account.get_credits_url(account.service_name, account_token=account.sudo().account_token)
            account.warning_buy_url = urljoin(account.get_base_url(), url)

    # ------------------------------------------------------------
    # ALERT JOB
    # ------------------------------------------------------------

    @api.model
    def _cron_credit_alerts(self, batch_size=500):
        """Scheduled action: catch accounts gone low, then email the due alerts, batch by batch."""
        self._warning_update_states()
        self.env["ir.cron"]._commit_progress(0)  # release the rows the catch-up updated at once
        while True:
            sent = self._warning_send_due(limit=batch_size)
            if sent < batch_size:
                self.env["ir.cron"]._commit_progress(sent, remaining=0)
                return
            if not self.env["ir.cron"]._commit_progress(sent):
                return

    @api.model
    def _warning_process_alerts(self, limit=None):
        """What the scheduled action does, without its commits: catch up, then email.

        :return: how many accounts were alerted
        """
        self._warning_update_states()
        return self._warning_send_due(limit=limit)

    @api.model
    def _warning_send_due(self, limit=None):
        """Email up to ``limit`` due alerts.

        The number of SQL queries does not depend on the number of accounts: one query
        finds the due alerts, the template is rendered once per language for all of
        them, and the mails, notes and alert log are created in bulk (the ORM inserts
        100 rows a statement).

        :return: how many accounts were alerted
        """
        rows = self.env.execute_query(
            SQL("SELECT a.id FROM iap_account a WHERE %s ORDER BY a.id LIMIT %s", _PENDING, limit)
        )
        accounts = self.sudo().browse([row[0] for row in rows])
        if accounts:
            accounts._warning_send_alerts()
        return len(accounts)

    def _warning_send_alerts(self):
        """Email the alert of these accounts with the template, through mail's own API, and log it.

        Each recipient address gets its own email (each contact address, each alert
        recipient user, without duplicates), in its own language: the language of the
        user, or of the contact whose email the address is, else the template's language
        for the account (its first alert recipient's, or its company's). The template is
        rendered once per language for all the accounts that need it
        (``mail.template._render_field`` on many records), with the body's QWeb source
        compiled once per batch (see ``ir.qweb._compile`` in ``models/ir_qweb.py``).
        The emails are ``mail.mail`` records created in one batch, sent after the commit
        by the stock mail queue; the chatter of each account gets a note naming the
        recipients (``_message_log_batch``), and the alert log links to it. The number of
        queries depends on the number of languages, not of accounts (the ORM inserts new
        rows 100 at a time). The account rows are only read: a debit running meanwhile
        never waits for the job.
        """
        template = self.env.ref(ALERT_TEMPLATE_XMLID).sudo().with_context(**{QWEB_COMPILE_MEMO: QwebCompileMemo()})
        recipients = self._warning_alert_recipients(template)
        lang_ids = defaultdict(list)
        for account_id, addresses in recipients.items():
            for lang in dict.fromkeys(lang for _address, lang in addresses):
                lang_ids[lang].append(account_id)
        rendered = {
            lang: {
                fname: template._render_field(fname, res_ids, set_lang=lang)
                for fname in ("subject", "body_html", "email_from", "reply_to")
            }
            for lang, res_ids in lang_ids.items()
        }
        author = self.env.user.partner_id
        mail_values, log_values, notes = [], [], {}
        for account in self:
            for address, lang in recipients[account.id]:
                values = rendered[lang]
                body = values["body_html"][account.id]
                email_from = values["email_from"][account.id] or author.email_formatted
                mail_values.append(
                    {
                        "model": self._name,
                        "res_id": account.id,
                        "subject": values["subject"][account.id],
                        # The body goes on the mail only: the message under it is deleted with
                        # the sent mail, and sanitizing it again would double the job's cost.
                        "body_html": body,
                        "email_from": email_from,
                        "reply_to": values["reply_to"][account.id] or email_from,
                        "email_to": address,
                        "author_id": author.id,
                        "auto_delete": template.auto_delete,
                        "mail_server_id": template.mail_server_id.id,
                    }
                )
            addresses = ", ".join(address for address, _lang in recipients[account.id])
            notes[account.id] = Markup("<p>%s</p>") % self.env._(
                "Low-credit alert emailed to %(recipients)s: %(available)s available, below %(level)s.",
                recipients=addresses,
                available=account._format_credits(account.credit_available),
                level=account._format_credits(account.warning_alert_level),
            )
            log_values.append(
                {
                    "account_id": account.id,
                    "sequence": account.warning_alert_seq,
                    "level": account.warning_alert_level,
                    "credit_available": account.credit_available,
                    "recipients": addresses,
                }
            )
        # Created 100 rows a call, as the ORM inserts them anyway: the cache update of
        # each new message's document costs the square of the rows of one call.
        Mail = self.env["mail.mail"].sudo()
        mails = Mail.concat(*(Mail.create(chunk) for chunk in split_every(INSERT_BATCH_SIZE, mail_values)))
        messages = self.env["mail.message"].concat(
            *(
                chunk._message_log_batch(
                    {account_id: notes[account_id] for account_id in chunk.ids}, author_id=author.id
                )
                for chunk in split_every(INSERT_BATCH_SIZE, self.ids, self.browse)
            )
        )
        message_of = {message.res_id: message.id for message in messages}
        for values in log_values:
            values["message_id"] = message_of[values["account_id"]]
        self.env["iap.credit.alert"].sudo().create(log_values)
        self.invalidate_recordset(ALERT_STATE_FIELDS)
        # The stock mail queue sends them as soon as this transaction is committed.
        self.env.ref("mail.ir_cron_mail_scheduler_action")._trigger()
        _logger.info("Low-credit alerts sent for %s accounts (%s emails)", len(self), len(mails))

    def _warning_alert_recipients(self, template):
        """The addresses to email the alert of each account to, with the language of each.

        :param template: the alert template (its ``lang`` gives the language by default)
        :return: ``{account id: [(address, lang), ...]}``, each address once per account
        """
        default_langs = template._render_lang(self.ids)
        contacts = {}  # normalized address -> language of the contact with that email
        for account in self:
            for address in split_addresses(account.warning_email):
                contacts[email_normalize(address)] = False
        if contacts:
            partners = (
                self.env["res.partner"]
                .sudo()
                .search_fetch(
                    [("email_normalized", "in", list(contacts)), ("lang", "!=", False)],
                    ["email_normalized", "lang"],
                    order="id",
                )
            )
            for partner in partners:
                contacts[partner.email_normalized] = contacts[partner.email_normalized] or partner.lang
        recipients = {}
        for account in self:
            default_lang = default_langs.get(account.id) or False
            addresses = {}
            for address in split_addresses(account.warning_email):
                normalized = email_normalize(address)
                addresses.setdefault(normalized, (address, contacts.get(normalized) or default_lang))
            for partner in account.warning_user_ids.partner_id.filtered("email_normalized"):
                addresses.setdefault(partner.email_normalized, (partner.email_formatted, partner.lang or default_lang))
            recipients[account.id] = list(addresses.values())
        return recipients
