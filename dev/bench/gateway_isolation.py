"""Gateway latency isolation: one SMS sent while the queue sends 200 through a slow gateway.

A local HTTP SMS API (the generic HTTP gateway's shape) answers in 50 ms per message, so
the queue's batch of ``--isolation-sms`` SMS keeps the gateway busy for ~10 s. 0.5 s after
the queue started (in a thread with its own cursor, as a cron worker), another worker
sends one SMS on the same account and commits: the figure is the time from its start to
its commit. The ledger holds no lock while a gateway works, so it does not wait for the
queue (before: it waited for the queue's commit, 9.6 s, and failed).
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from uuid import uuid4

from common import DESCRIPTION, admin_env, at_most, equal

TARGET_SECONDS = 1.0
SECONDS_PER_MESSAGE = 0.05
FIGURE = "gateway latency isolation: one SMS during a 200-SMS queue"


class SlowSmsApi(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        messages = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))["messages"]
        time.sleep(SECONDS_PER_MESSAGE * len(messages))
        results = [{"id": m["id"], "status": "accepted", "provider_id": uuid4().hex} for m in messages]
        data = json.dumps({"results": results}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _send(registry, company_id, numbers, body):
    """Create stock SMS for ``numbers`` and send them as a worker does, then commit."""
    with registry.cursor() as cr:
        env = admin_env(cr)
        env = env(context=dict(env.context, allowed_company_ids=[company_id]))
        sms = env["sms.sms"].sudo().create([{"number": number, "body": body} for number in numbers])
        sms.send()
        cr.commit()


def run(registry, args):
    count = args.isolation_sms
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowSmsApi)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with registry.cursor() as cr:
            env = admin_env(cr)
            company = env["res.company"].sudo().create({"name": "Bench isolation", "country_id": env.ref("base.be").id})
            env.user.sudo().company_ids = [(4, company.id)]
            gateway = (
                env["iap.sms.gateway"]
                .sudo()
                .create(
                    {
                        "name": "Bench slow HTTP",
                        "code": "http",
                        "http_url": f"http://127.0.0.1:{server.server_address[1]}/send",
                        "timeout": 60,
                    }
                )
            )
            account = (
                env["iap.account"]
                .sudo()
                .create(
                    {
                        "name": "Bench isolation",
                        "service_id": env.ref("sms.iap_service_sms").id,
                        "credit_mode": "local",
                        "company_ids": [(6, 0, company.ids)],
                        "sms_gateway_id": gateway.id,
                    }
                )
            )
            account._credits_grant(10 * (count + 1), DESCRIPTION)
            assert company._iap_credits_sms_account() == account, "the bench account must pay for the company's SMS"
            cr.commit()
            company_id, account_id = company.id, account.id
            balance_before = account.credit_balance

        queue = threading.Thread(
            target=_send,
            args=(registry, company_id, [f"+32471{i:06d}" for i in range(count)], "Bench isolation queue"),
        )
        queue.start()
        time.sleep(0.5)
        started = time.perf_counter()
        _send(registry, company_id, ["+32472000001"], "Bench isolation single")
        seconds = time.perf_counter() - started
        queue_busy = queue.is_alive()
        queue.join()
        with registry.cursor() as cr:
            cr.execute(
                "SELECT count(*), COALESCE(SUM(m.credits), 0) FROM iap_sms_message m"
                " JOIN iap_sms_batch b ON b.id = m.batch_id WHERE b.account_id = %s AND m.state = 'sent'",
                [account_id],
            )
            sent, credits = cr.fetchone()
            cr.execute("SELECT credit_balance FROM iap_account WHERE id = %s", [account_id])
            charged = balance_before - cr.fetchone()[0]
    finally:
        server.shutdown()
        server.server_close()
    params = f"--isolation-sms {count}"
    return [
        at_most(f"{FIGURE} ({params})", seconds, "s", TARGET_SECONDS),
        equal(f"gateway isolation: single SMS sent before the queue's batch ended ({params})", int(queue_busy), "", 1),
        equal(f"gateway isolation: SMS sent ({params})", sent, "SMS", count + 1),
        equal(
            f"gateway isolation: credits charged - credits of sent SMS ({params})", round(charged - credits, 6), "cr", 0
        ),
    ]
