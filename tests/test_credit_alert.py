# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import email
import email.policy
import logging
import math
import re
import socket
from contextlib import contextmanager
from unittest.mock import patch

from aiosmtpd.controller import Controller

from odoo.exceptions import UserError, ValidationError
from odoo.orm.models import INSERT_BATCH_SIZE
from odoo.tests import new_test_user, tagged

from odoo.addons.base.models.ir_mail_server import IrMail_Server
from odoo.addons.iap_credits.tools.credit_alert import alert_levels, parse_thresholds, split_addresses

from .common import IapCreditsCase, load_zh_cn

_logger = logging.getLogger(__name__)

# The tables the alert job fills through the ORM's bulk create, 100 rows an INSERT.
BULK_TABLES = ("mail_message", "mail_mail", "iap_credit_alert")


class TestCreditAlertTools(IapCreditsCase):
    """The plain helpers (no ORM needed, kept with the other alert tests)."""

    def test_parse_thresholds(self):
        self.assertEqual(parse_thresholds("500, 200;100  50.5"), [500, 200, 100, 50.5])
        self.assertEqual(parse_thresholds(""), [])
        self.assertEqual(parse_thresholds(False), [])
        for bad in ("abc", "-5", "nan", "inf", "10, x"):
            with self.assertRaises(ValueError, msg=bad):
                parse_thresholds(bad)

    def test_alert_levels(self):
        self.assertEqual(alert_levels(50, "200, 100, 50, 0"), [200, 100, 50], "distinct, highest first, no zero")
        self.assertEqual(alert_levels(0, False), [])

    def test_split_addresses(self):
        self.assertEqual(
            split_addresses(" a@example.com, b@example.com;c@example.com ,"),
            [
                "a@example.com",
                "b@example.com",
                "c@example.com",
            ],
        )


class CreditAlertCase(IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alert_user = new_test_user(
            cls.env, login="iap_credits_alert_user", groups="base.group_user", email="alerts.user@example.com"
        )
        cls.cron = cls.env.ref("iap_credits.ir_cron_credit_alerts")

    def _alert_account(self, credits=100.0, threshold=50.0, email="billing@example.com", extra=False, users=None):
        account = self._create_local_account(credits=credits)
        account.write(
            {
                "warning_enabled": True,
                "warning_threshold": threshold,
                "warning_email": email,
                "warning_extra_thresholds": extra,
                "warning_user_ids": [(6, 0, (self.alert_user if users is None else users).ids)],
            }
        )
        return account

    def _alert_mails(self, account):
        return self.env["mail.mail"].search([("model", "=", "iap.account"), ("res_id", "=", account.id)], order="id")

    def _process(self):
        """What the scheduled action does, without its commits."""
        return self.env["iap.account"]._warning_process_alerts()

    def _triggers(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])

    def assertAlert(self, account, level, mails_before=0):
        """One alert: a mail to each recipient naming ``level``, and a note in the chatter."""
        mails = self._alert_mails(account)[mails_before:]
        self.assertEqual(len(mails), 2, "one mail per recipient")
        self.assertEqual(set(mails.mapped("email_to")), {"billing@example.com", self.alert_user.email_formatted})
        self.assertEqual(mails.mapped("state"), ["outgoing", "outgoing"], "queued, sent after the commit")
        service = self.service_sms.name
        self.assertEqual(set(mails.mapped("subject")), {f"{service} credits are running low ({self.company.name})"})
        account.invalidate_recordset()
        for mail in mails:
            body = mail.body_html
            self.assertIn(f"{account.credit_available:.2f}", body)
            self.assertIn(f"{level:.2f}", body)
            self.assertIn(account.warning_buy_url.replace("&", "&amp;"), body, "the Buy Credit button")
        self.assertTrue(account.warning_buy_url.startswith("http"))
        self.assertIn(f"/iap_credits/buy/{account.id}", account.warning_buy_url, "this database's Buy Credit page")
        self.assertFalse(account.warning_alert_pending)
        self.assertTrue(account.warning_last_alert_date)
        self.assertEqual(account.warning_last_alert_level, level)
        alert = account.warning_alert_ids[:1]
        self.assertEqual((alert.level, alert.sequence), (level, account.warning_alert_seq))
        self.assertEqual(alert.credit_available, account.credit_available)
        note = alert.message_id
        self.assertIn(note, account.message_ids, "the alert is noted in the chatter")
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        self.assertIn("billing@example.com", note.body)
        self.assertIn(f"{level:.2f}", note.body)


class TestCreditAlert(CreditAlertCase):
    def test_crossing_sends_one_alert(self):
        account = self._alert_account()
        triggers = self._triggers()
        account._credits_debit(40, "Above the line")
        self.assertFalse(account.warning_alert_pending)
        self.assertEqual(self._triggers(), triggers, "no crossing, no trigger")
        with self.assertQueryCount(2):  # the catch-up UPDATE and the look-up of queued alerts
            self.assertEqual(self._process(), 0)

        with self._assert_no_mail_created():
            account._credits_debit(20, "Crosses 50")  # 40 left
        self.assertTrue(account.warning_alert_pending, "the alert is queued by the debit itself")
        self.assertEqual(self._triggers(), triggers + 1, "the alert job is triggered at once")
        self.assertEqual(self._process(), 1)
        self.assertAlert(account, 50)

        # Staying low never alerts again, whatever spends the credits.
        account._credits_debit(5, "Still low")
        with account._credits_charge(3, "3 SMS"):
            pass
        self.assertEqual(self._triggers(), triggers + 1)
        self.assertEqual(self._process(), 0)
        self.assertEqual(len(self._alert_mails(account)), 2)
        self.assertCredits(account, 32)

    def test_top_up_rearms(self):
        account = self._alert_account()
        account._credits_debit(60, "Crosses 50")
        self._process()
        self.assertEqual(account.warning_alert_level, 50)

        account._credits_grant(5, "Not enough to re-arm")  # 45
        account._credits_debit(5, "Still low")  # 40
        self.assertEqual(self._process(), 0)

        account._credits_grant(20, "Top-up")  # 60
        self.assertEqual(account.warning_alert_level, 0, "re-armed by the top-up")
        self.assertEqual(account.warning_next_level, 50)
        self.assertEqual(self._process(), 0, "a top-up alerts nobody")
        account._credits_debit(20, "Crosses 50 again")  # 40
        self.assertEqual(self._process(), 1)
        self.assertAlert(account, 50, mails_before=2)
        self.assertEqual(len(self._alert_mails(account)), 4)

    def test_top_up_before_the_job_cancels_the_alert(self):
        account = self._alert_account()
        account._credits_debit(60, "Crosses 50")
        account._credits_grant(100, "Top-up at once")
        self.assertFalse(account.warning_alert_pending)
        self.assertEqual(self._process(), 0)
        self.assertFalse(self._alert_mails(account))

    def test_several_levels_crossed_in_one_debit(self):
        account = self._alert_account(credits=300, extra="200, 100")
        self.assertEqual(account.warning_levels, "200.0,100.0,50.0")
        account._credits_debit(280, "Crosses 200, 100 and 50")  # 20
        self.assertEqual(self._process(), 1)
        self.assertAlert(account, 50)
        self.assertNotIn("200.00", self._alert_mails(account)[0].body_html)

    def test_each_level_alerts_once(self):
        account = self._alert_account(credits=300, extra="200, 100")
        account._credits_debit(150, "Crosses 200")  # 150
        self._process()
        self.assertAlert(account, 200)
        account._credits_debit(60, "Crosses 100")  # 90
        self._process()
        self.assertAlert(account, 100, mails_before=2)
        account._credits_debit(20, "Below 100, above 50")  # 70
        self.assertEqual(self._process(), 0)
        account._credits_grant(40, "Above 100 again")  # 110: re-armed for 100, not for 200
        account._credits_debit(20, "Crosses 100 again")  # 90
        self._process()
        self.assertAlert(account, 100, mails_before=4)
        self.assertEqual(len(self._alert_mails(account)), 6)

    def test_contact_emails(self):
        account = self._create_local_account(credits=100)
        for bad in ("not an email", "billing@example.com, nobody", "@example.com"):
            with self.assertRaises(ValidationError, msg=bad):
                account.write({"warning_enabled": True, "warning_threshold": 50, "warning_email": bad})
        self.assertFalse(account.warning_enabled, "a refused value changes nothing")
        with self.assertRaises(ValidationError):
            account.write({"warning_enabled": True, "warning_threshold": 50})  # nobody to alert
        with self.assertRaises(ValidationError):
            account.write({"warning_extra_thresholds": "200, lots"})
        account.write(
            {
                "warning_enabled": True,
                "warning_threshold": 50,
                "warning_email": "billing@example.com; cfo@example.com, alerts.user@example.com",
                "warning_user_ids": [(6, 0, self.alert_user.ids)],
            }
        )
        account._credits_debit(60, "Crosses 50")
        self._process()
        self.assertEqual(
            sorted(self._alert_mails(account).mapped("email_to")),
            ["alerts.user@example.com", "billing@example.com", "cfo@example.com"],
            "every address once",
        )

    def test_negative_threshold_refused(self):
        account = self._create_local_account(credits=100)
        with self.assertRaises(UserError):  # the stock constraint of `iap`
            account.write({"warning_enabled": True, "warning_threshold": -1, "warning_email": "a@example.com"})

    def test_disabled_or_odoo_accounts_never_alert(self):
        account = self._alert_account()
        account.warning_enabled = False
        account._credits_debit(90, "Low, but alerts are off")
        self.assertEqual(self._process(), 0)
        self.assertFalse(self._alert_mails(account))

    def test_adjustment_wizard_crosses(self):
        account = self._alert_account()
        wizard = (
            self.env["iap.credit.adjustment"]
            .with_user(self.manager)
            .create({"account_id": account.id, "operation": "remove", "credits": 70, "reason": "Correction"})
        )
        wizard.action_confirm()
        self.assertTrue(account.warning_alert_pending)
        self.assertEqual(self._process(), 1)
        self.assertAlert(account, 50)

    def test_job_catches_accounts_lowered_outside_the_ledger(self):
        """Balances changed without a ledger crossing (a threshold raised, a balance fixed in SQL)."""
        account = self._alert_account()
        other = self._alert_account()
        triggers = self._triggers()
        # A balance corrected directly in the database: nothing noticed it.
        self.env.cr.execute(
            "UPDATE iap_account SET credit_balance = 10, credit_available = 10 WHERE id = %s", [account.id]
        )
        account.invalidate_recordset()
        self.assertFalse(account.warning_alert_pending)
        self.assertEqual(self._triggers(), triggers)
        self.assertEqual(self._process(), 1, "the scheduled job catches it")
        self.assertAlert(account, 50)
        # A threshold raised above the balance: evaluated at once.
        other.warning_threshold = 150
        self.assertTrue(other.warning_alert_pending)
        self.assertEqual(self._process(), 1)
        self.assertAlert(other, 150)

    def test_hot_path_costs_nothing_above_the_threshold(self):
        plain = self._create_local_account(credits=1000)
        watched = self._alert_account(credits=1000, extra="500")
        plain._credits_debit(1, "Warm up")
        watched._credits_debit(1, "Warm up")
        counts = {}
        for name, account in (("plain", plain), ("watched", watched)):
            self.env.invalidate_all()
            self.assertTrue(account.service_id)  # loads the account, as a service looking it up would
            start = self.env.cr.sql_log_count
            account._credits_debit(10, "Above every level")
            counts[name] = self.env.cr.sql_log_count - start
        self.assertEqual(counts["watched"], counts["plain"], counts)

    def test_query_count_does_not_grow_with_accounts(self):
        """Same queries for 10 and for 1,000 accounts, but the INSERTs of the ORM's bulk create.

        ``create`` on a list of values inserts the rows 100 (``INSERT_BATCH_SIZE``) at a
        time: those are the only statements whose number follows the number of rows,
        and there are exactly as many as the rows need.
        """
        self._measure_alert_job(1)  # warm the caches (template, parameters, xml ids)
        counts = {}
        for size in (10, 1000):
            counts[size] = self._measure_alert_job(size)
        _logger.info("alert job SQL queries: 10 accounts -> %s, 1000 accounts -> %s", counts[10], counts[1000])
        self.assertEqual(counts[10]["other"], counts[1000]["other"], counts)
        for size, count in counts.items():
            # per account: one mail per address (and the message under it), one note, one log row
            expected = {
                "mail_message": math.ceil(2 * size / INSERT_BATCH_SIZE) + math.ceil(size / INSERT_BATCH_SIZE),
                "mail_mail": math.ceil(2 * size / INSERT_BATCH_SIZE),
                "iap_credit_alert": math.ceil(size / INSERT_BATCH_SIZE),
            }
            self.assertEqual(count["insert"], expected, f"{size} accounts")

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _measure_alert_job(self, size):
        """Make ``size`` accounts low and not alerted yet, and count the queries of the job.

        :return: ``{"insert": {table: INSERT statements}, "other": other statements}``
        """
        self.env["iap.account"].search([("warning_enabled", "=", True)]).warning_enabled = False
        accounts = self.env["iap.account"].create(
            [
                {
                    "name": f"Low account {size}-{index}",
                    "service_id": self.service_sms.id,
                    "company_ids": [(6, 0, self.company.ids)],
                    "credit_mode": "local",
                    "warning_enabled": True,
                    "warning_threshold": 10,
                    "warning_email": f"billing{index}@example.com",
                    "warning_user_ids": [(6, 0, self.alert_user.ids)],
                }
                for index in range(size)
            ]
        )
        # As if lowered outside the ledger: armed, not alerted yet.
        self.env.cr.execute(
            """
            UPDATE iap_account SET warning_alert_seq = 0, warning_alert_level = NULL, warning_next_level = 10
             WHERE id = ANY(%s)
            """,
            [accounts.ids],
        )
        self.env.invalidate_all()
        self.env.flush_all()
        queries = []
        with contextmanager(self._patchExecute)(queries, flush=False):
            alerted = self._process()
            self.env.flush_all()
        self.assertEqual(alerted, size)
        self.assertEqual(
            self.env["mail.mail"].search_count([("model", "=", "iap.account"), ("res_id", "in", accounts.ids)]),
            2 * size,
        )
        count = {"insert": {}, "other": 0}
        for query in queries:
            insert = re.match(r'\s*INSERT INTO "?(\w+)"?', query)
            if insert and insert[1] in BULK_TABLES:
                count["insert"][insert[1]] = count["insert"].get(insert[1], 0) + 1
            else:
                count["other"] += 1
        return count

    def _assert_no_mail_created(self):
        test = self

        class _NoMail:
            def __enter__(self):
                self.before = test.env["mail.mail"].search_count([])

            def __exit__(self, *exc):
                test.assertEqual(test.env["mail.mail"].search_count([]), self.before, "no mail in the debit")

        return _NoMail()


@tagged("post_install", "-at_install")
class TestCreditAlertInstalled(CreditAlertCase):
    def test_demo_account_alert_lands_in_mail_queue(self):
        """With demo data: lowering the SMS demo account below its threshold queues the email."""
        account = self.env.ref("iap_credits.iap_account_sms_demo", raise_if_not_found=False)
        if not account:
            self.skipTest("no demo data")
        self.assertTrue(account.warning_enabled)
        account._credits_debit(account.credit_available - account.warning_threshold + 1, "Demo: spend")
        self.assertEqual(self._process(), 1)
        mails = self._alert_mails(account)
        admin = self.env.ref("base.user_admin")
        self.assertEqual(set(mails.mapped("email_to")), {"billing@yourcompany.example.com", admin.email_formatted})


class _SmtpInbox:
    """An aiosmtpd handler keeping every message it receives (envelope and parsed email)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "email": email.message_from_bytes(envelope.original_content, policy=email.policy.default),
            }
        )
        return "250 Message accepted for delivery"


class TestCreditAlertSmtp(CreditAlertCase):
    """The alert emails reach a real SMTP server, one per recipient per crossing, each in its language.

    The server is aiosmtpd on 127.0.0.1, started by the test; an ``ir.mail_server``
    points at it and the stock mail queue (``mail.mail.process_email_queue``) sends.
    Odoo's test mode suppresses every SMTP connection (``ir.mail_server._disable_send``,
    checked by ``_connect__``, ``send_email`` and ``mail.mail._send``): the test lifts
    that stock guard, and only it, for the time of the sending.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_zh_cn(cls.env)
        cls.company.partner_id.lang = "en_US"
        cls.zh_contact = cls.env["res.partner"].create(
            {"name": "Zhang Wei", "email": "zhang.wei@example.com", "lang": "zh_CN"}
        )
        cls.inbox = _SmtpInbox()
        with socket.socket() as probe:  # a free port: aiosmtpd checks it started by connecting to it
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        cls.smtp = Controller(cls.inbox, hostname="127.0.0.1", port=port)
        cls.smtp.start()
        cls.addClassCleanup(cls.smtp.stop)
        cls.env["ir.mail_server"].search([]).active = False
        cls.mail_server = cls.env["ir.mail_server"].create(
            {"name": "Test SMTP", "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_encryption": "none"}
        )

    def _send_queue(self, account):
        """Run the alert job, then the stock mail queue on the alert mails, against the real server."""
        self._process()
        mails = self._alert_mails(account).filtered(lambda mail: mail.state == "outgoing")
        if not mails:  # without ids, the queue would send every other queued mail
            return []
        received = len(self.inbox.messages)
        with patch.object(IrMail_Server, "_disable_send", classmethod(lambda cls: False)):
            self.env["mail.mail"].process_email_queue(email_ids=mails.ids)
        self.assertFalse(mails.exists().filtered(lambda mail: mail.state != "sent"), "every alert mail sent")
        return self.inbox.messages[received:]

    def test_alert_emails_over_smtp(self):
        account = self._alert_account(email="billing@example.com, zhang.wei@example.com")
        account._credits_debit(60, "Crosses 50")  # 40 left
        received = self._send_queue(account)

        by_rcpt = {tuple(message["rcpt_tos"]): message["email"] for message in received}
        self.assertEqual(
            sorted(by_rcpt),
            [("alerts.user@example.com",), ("billing@example.com",), ("zhang.wei@example.com",)],
            "one email per recipient",
        )
        buy_url = account.warning_buy_url
        self.assertIn(f"/iap_credits/buy/{account.id}", buy_url)
        company = self.company.name
        for rcpt in (("alerts.user@example.com",), ("billing@example.com",)):
            message = by_rcpt[rcpt]
            self.assertEqual(message["Subject"], f"{self.service_sms.name} credits are running low ({company})")
            html = message.get_body(("html",)).get_content()
            self.assertIn("running low", html)
            self.assertIn("40.00", html)
            self.assertIn("50.00", html)
            self.assertIn(f'href="{buy_url}"', html.replace("&amp;", "&"), "the Buy Credit link")
            self.assertIn("Buy Credit", html)
        message = by_rcpt[("zhang.wei@example.com",)]
        service_zh = self.service_sms.with_context(lang="zh_CN").name
        self.assertEqual(message["Subject"], f"{service_zh} 点数即将不足（{company}）")  # noqa: RUF001
        self.assertIn("zhang.wei@example.com", message["To"])
        html = message.get_body(("html",)).get_content()
        self.assertIn("购买点数", html)
        self.assertIn(f'href="{buy_url}"', html.replace("&amp;", "&"), "the Buy Credit link")
        self.assertNotIn("running low", html)

        # Staying low sends nothing more; a top-up re-arms, the next crossing emails again.
        account._credits_debit(5, "Still low")
        self.assertEqual(self._send_queue(account), [])
        account._credits_grant(100, "Top-up")
        account._credits_debit(100, "Crosses 50 again")
        again = self._send_queue(account)
        self.assertEqual(len(again), 3, "one email per recipient for the new crossing")
        self.assertEqual(len(account.warning_alert_ids), 2)
