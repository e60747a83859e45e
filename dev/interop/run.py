# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Interoperability test of server mode: a stock Odoo database (no iap_credits) uses this
database as its IAP server, over real HTTP between three processes.

    python dev/interop/run.py --config .state/odoo.conf        (dev/test.sh runs it)

1. SERVER database: iap_credits + payment_demo with demo data, server mode 'closed', one
   customer with a client account per service (the client's tokens), sandbox gateways;
   served by ``odoo-bin server --workers 2`` with a db filter.
2. CLIENT database: stock iap, sms, partner_autocomplete, snailmail, contacts, account;
   its endpoint parameters point at the server; served by a third process (not in test
   mode: stock `iap_jsonrpc` refuses to reach the network inside tests).
3. The scenarios drive the client over JSON-RPC as its administrator (stock code only),
   and check the server's ledger over JSON-RPC as the server's administrator.
Processes and databases are always removed. Exits non-zero if a scenario fails.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rpc import OdooRpc
from scenarios import SCENARIOS

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_MODULES = "iap,sms,partner_autocomplete,snailmail,contacts,account"
# The system parameter of each stock client, all pointed at the server's base URL.
ENDPOINT_PARAMS = ("iap.endpoint", "sms.endpoint", "iap.partner_autocomplete.endpoint", "snailmail.endpoint")
# Credits the server grants each client account: scenario (b) spends the one SMS credit,
# so that (c) finds the account empty.
CREDITS = {"sms": 1, "partner_autocomplete": 5, "snailmail": 5}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log(message):
    print(f"[interop] {message}", file=sys.stderr, flush=True)


class Run:
    def __init__(self, args):
        self.args = args
        self.odoo_bin = os.path.join(os.environ["ODOO_SRC"], "odoo-bin")
        suffix = os.getpid()
        self.server_db = args.server_db or f"iap_interop_server_{suffix}"
        self.client_db = args.client_db or f"iap_interop_client_{suffix}"
        self.server_port = args.server_port or free_port()
        self.client_port = args.client_port or free_port()
        self.processes = []
        self.logdir = tempfile.mkdtemp(prefix="iap_interop_")

    def odoo(self, *argv, env=None, stdin=None):
        command = [sys.executable, self.odoo_bin, *argv]
        return subprocess.run(command, check=True, env=env, input=stdin, capture_output=True, text=True)

    def install(self, db, modules, demo):
        template = f"{db.rsplit('_', 1)[0]}_template" if self.args.reuse else None
        copied = template and subprocess.run(["createdb", "-T", template, db], check=False, capture_output=True)
        if copied and not copied.returncode:
            log(f"{db} copied from {template} (--reuse)")
            return
        log(f"installing {modules} in {db}")
        flags = ["--with-demo"] if demo else []
        self.odoo(
            "-c",
            self.args.config,
            "-d",
            db,
            "-i",
            modules,
            *flags,
            "--stop-after-init",
            "--no-http",
            "--log-level=warn",
        )
        if template:
            subprocess.run(["createdb", "-T", db, template], check=False)

    def serve(self, db, port, workers, crons=2):
        # The sub-command first: odoo-bin reads `server` before the options.
        logfile = open(os.path.join(self.logdir, f"{db}.log"), "w")  # noqa: SIM115 (closed at teardown)
        command = [
            sys.executable,
            self.odoo_bin,
            "server",
            "-c",
            self.args.config,
            "--http-port",
            str(port),
            "--http-interface",
            "127.0.0.1",
            "--db-filter",
            f"^{db}$",
            "--log-level=warn",
            "--workers",
            str(workers),
            # -d: the cron threads run this database's jobs only, not every database's.
            "-d",
            db,
            "--max-cron-threads",
            str(crons),
        ]
        process = subprocess.Popen(command, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append((process, logfile))
        return OdooRpc(f"http://127.0.0.1:{port}", db)

    def setup_server(self, tokens):
        spec = json.dumps({"tokens": tokens, "credits": CREDITS})
        with open(os.path.join(HERE, "server_setup.py"), encoding="utf-8") as script:
            done = self.odoo(
                "shell",
                "-c",
                self.args.config,
                "-d",
                self.server_db,
                "--no-http",
                "--log-level=warn",
                env={**os.environ, "IAP_INTEROP_SPEC": spec},
                stdin=script.read(),
            )
        line = next(line for line in done.stdout.splitlines() if line.startswith("IAP_INTEROP_RESULT "))
        return json.loads(line.split(" ", 1)[1])

    def main(self):
        self.install(self.server_db, "iap_credits,payment_demo", demo=True)
        self.install(self.client_db, CLIENT_MODULES, demo=False)
        tokens = {service: uuid.uuid4().hex for service in CREDITS}
        server_info = self.setup_server(tokens)
        server = self.serve(self.server_db, self.server_port, workers=2)
        # The client: threaded (workers 0), no cron thread: the scenarios run its SMS queue
        # job themselves, when they mean it to run.
        client = self.serve(self.client_db, self.client_port, workers=0, crons=0)
        server.wait_up()
        client.wait_up()
        self.setup_client(client, server.url, tokens)
        context = {"server": server, "client": client, "server_info": server_info, "tokens": tokens}
        failures = 0
        for name, scenario in SCENARIOS:
            if self.args.only and name not in self.args.only.split(","):
                continue
            started = time.monotonic()
            try:
                scenario(context)
            except Exception as error:
                failures += 1
                log(f"FAIL {name} ({time.monotonic() - started:.1f}s): {error}")
            else:
                log(f"ok   {name} ({time.monotonic() - started:.1f}s)")
        return failures

    def setup_client(self, client, server_url, tokens):
        for param in ENDPOINT_PARAMS:
            client("ir.config_parameter", "set_param", param, server_url)
        # The delivery-report webhook the client sends with its SMS (stock: base URL + /sms/status).
        client("ir.config_parameter", "set_param", "web.base.url", client.url)
        client("ir.config_parameter", "set_param", "web.base.url.freeze", "True")
        for service, token in tokens.items():
            service_id = client("iap.service", "search", [("technical_name", "=", service)])[0]
            client("iap.account", "create", {"service_id": service_id, "account_token": token})

    def teardown(self):
        for process, logfile in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, 9)
                    process.wait()
            logfile.close()
        if not self.args.keep:
            for db in (self.server_db, self.client_db):
                subprocess.run(["dropdb", "--if-exists", db], check=False)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="Odoo configuration file (.state/odoo.conf)")
    parser.add_argument("--server-db")
    parser.add_argument("--client-db")
    parser.add_argument("--server-port", type=int)
    parser.add_argument("--client-port", type=int)
    parser.add_argument("--only", help="comma-separated scenarios: " + ",".join(name for name, _ in SCENARIOS))
    parser.add_argument("--keep", action="store_true", help="keep the databases (debugging)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="copy the freshly installed databases from <db>_template, kept from a previous --reuse run (drop "
        "them after changing the addon)",
    )
    args = parser.parse_args(argv)
    run = Run(args)
    started = time.monotonic()
    try:
        failures = run.main()
    except subprocess.CalledProcessError as error:
        log(f"ERROR {error.cmd[:6]}: {error.stderr[-3000:]}")
        failures = 1
    finally:
        run.teardown()
    log(f"{'FAILED' if failures else 'passed'} in {time.monotonic() - started:.0f}s; process logs in {run.logdir}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
