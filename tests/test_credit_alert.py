# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging

from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.iap_credits.tools.credit_alert import alert_levels, parse_thresholds, split_addresses

from .common import IapCreditsCase

_logger = logging.getLogger(__name__)


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
        """One alert: a mail to each recipient naming ``level``, logged in the chatter."""
        mails = self._alert_mails(account)[mails_before:]
        self.assertEqual(len(mails), 2, "one mail per recipient")
        self.assertEqual(set(mails.mapped("email_to")), {"billing@example.com", self.alert_user.email_formatted})
        self.assertEqual(mails.mapped("state"), ["outgoing", "outgoing"], "queued, sent after the commit")
        message = mails.mail_message_id
        self.assertEqual(len(message), 1, "the recipients share one chatter message")
        self.assertIn(message, account.message_ids)
        service = self.service_sms.name
        self.assertEqual(message.subject, f"{service} credits are running low ({self.company.name})")
        account.invalidate_recordset()
        body = mails[0].body_html
        self.assertIn(f"{account.credit_available:.2f}", body)
        self.assertIn(f"{level:.2f}", body)
        self.assertIn(account.warning_buy_url.replace("&", "&amp;"), body, "the Buy Credit button")
        self.assertTrue(account.warning_buy_url.startswith("http"))
        self.assertIn(f"/iap_credits/buy/{account.id}", account.warning_buy_url, "this database's Buy Credit page")
        self.assertFalse(account.warning_alert_pending)
        self.assertTrue(account.warning_last_alert_date)
        self.assertEqual(account.warning_last_alert_level, level)
        alert = account.warning_alert_ids[:1]
        self.assertEqual((alert.level, alert.message_id, alert.sequence), (level, message, account.warning_alert_seq))
        self.assertEqual(alert.credit_available, account.credit_available)


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
        self._measure_alert_job(1)  # warm the caches (template, parameters, xml ids)
        counts = {}
        for size in (10, 1000):
            counts[size] = self._measure_alert_job(size)
        _logger.info("alert job SQL queries: 10 accounts -> %s, 1000 accounts -> %s", counts[10], counts[1000])
        self.assertEqual(counts[10], counts[1000], counts)

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _measure_alert_job(self, size):
        """Make ``size`` accounts low and not alerted yet, and count the queries of the job."""
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
        start = self.env.cr.sql_log_count
        alerted = self._process()
        count = self.env.cr.sql_log_count - start
        self.assertEqual(alerted, size)
        self.assertEqual(
            self.env["mail.mail"].search_count([("model", "=", "iap.account"), ("res_id", "in", accounts.ids)]),
            2 * size,
        )
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
