"""Server mode under load: client databases sending SMS through this one, as their IAP server.

A server process with ``--workers 4`` (``odoo-bin server``, db filter, no cron thread) serves
the bench database in server mode 'closed'; each of ``--server-clients`` threads is a client
database (its own HTTP session and client account, sandbox gateway, 1 credit an SMS) posting
``--server-requests`` `/api/sms/3/send` calls in the stock client's exact encoding
(`sms.tools.sms_api.SmsApi._send_sms_batch` through `iap_tools.iap_jsonrpc`: JSON-RPC 2.0,
``messages`` grouped by content, ``webhook_url``, ``dbuuid``, ``account_token``), each of
``--server-batch`` numbers. Every number must be answered ``success``, and each account's
ledger exact: settled balance = sum of its rows, credits moved = SMS accepted.

The floor: the same machine, the same concurrency, the same ledger movements (a hold and a
capture per SMS, one guarded UPDATE feeding the INSERT of a ledger row each, as
`latency.py`'s floor) in bare SQL on one connection per client, no HTTP, no Odoo.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid

import requests
from common import DESCRIPTION, admin_env, equal, info, median_ms, p99_ms
from latency import FLOOR_EXECUTE, FLOOR_PREPARE

WORKERS = 4
WARMUP = 4  # untimed calls per client: every worker loads its registry first


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _setup(registry, clients, credits):
    with registry.cursor() as cr:
        env = admin_env(cr)(su=True)
        env["ir.config_parameter"].set_param("iap_credits.server_mode", "closed")
        service = env.ref("sms.iap_service_sms")
        service.write({"credit_unit_price": 1.0})
        service.sms_rate_ids.unlink()
        gateway = env["iap.sms.gateway"].create({"name": "Bench server sandbox", "code": "sandbox"})
        accounts = []
        for index in range(clients):
            partner = env["res.partner"].create({"name": f"Bench client {index}", "is_company": True})
            account = env["iap.account"].create(
                {
                    "name": f"Bench client {index} SMS",
                    "service_id": service.id,
                    "credit_mode": "local",
                    "client_partner_id": partner.id,
                    "account_token": uuid.uuid4().hex,
                    "sms_gateway_id": gateway.id,
                }
            )
            account._credits_grant(credits, DESCRIPTION)
            accounts.append((account.id, account.account_token))
        cr.commit()
    return accounts


def _ledger(registry, account_ids):
    """{account: (balance, sum of rows, credits charged by the bench's SMS)}."""
    with registry.cursor() as cr:
        cr.execute(
            """SELECT a.id, a.credit_balance, sum(t.credits), -sum(t.credits) FILTER (WHERE t.credits < 0)
                 FROM iap_account a JOIN iap_credit_transaction t ON t.account_id = a.id
                WHERE a.id = ANY(%s) GROUP BY a.id, a.credit_balance""",
            [account_ids],
        )
        return {row[0]: row[1:] for row in cr.fetchall()}


def _serve(config, database, port):
    import odoo

    # odoo is a namespace package (no __file__): odoo-bin sits beside its folder.
    odoo_bin = os.path.join(os.path.dirname(next(iter(odoo.__path__))), "odoo-bin")
    command = [
        sys.executable,
        odoo_bin,
        "server",
        "-c",
        config,
        "-d",
        database,
        "--db-filter",
        f"^{database}$",
        "--http-port",
        str(port),
        "--http-interface",
        "127.0.0.1",
        "--workers",
        str(WORKERS),
        "--max-cron-threads",
        "0",
        "--log-level=warn",
        "--limit-time-real",
        "600",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/web/health", timeout=5).status_code == 200:
                return process
        except requests.RequestException:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the server process did not answer /web/health within 120 s")


def _client(url, token, requests_count, batch, index, out):
    """One client database: its own HTTP session, ``requests_count`` stock send calls."""
    session = requests.Session()
    samples, answered, accepted, errors = [], 0, 0, []
    for call in range(WARMUP + requests_count):
        numbers = [
            {"uuid": uuid.uuid4().hex, "number": f"+3247{index:02d}{(call * batch + n) % 100000:05d}"}
            for n in range(batch)
        ]
        params = {
            "messages": [{"content": f"Bench server SMS {index}", "numbers": numbers}],
            "webhook_url": f"http://127.0.0.1:9/sms/status?client={index}",
            "dbuuid": f"bench-client-{index}",
            "account_token": token,
        }
        payload = {"jsonrpc": "2.0", "method": "call", "params": params, "id": uuid.uuid4().hex}
        started = time.perf_counter()
        response = session.post(url, json=payload, timeout=60)
        elapsed = time.perf_counter() - started
        if call < WARMUP:
            continue
        samples.append(elapsed)
        body = response.json() if response.status_code == 200 else {"error": response.status_code}
        if "error" in body:
            errors.append(body["error"])
            continue
        answered += 1
        states = {result["uuid"]: result["state"] for result in body["result"]}
        accepted += sum(states.get(number["uuid"]) == "success" for number in numbers)
    out[index] = {"samples": samples, "answered": answered, "accepted": accepted, "errors": errors[:3]}


def _floor(registry, account_ids, service_id, requests_count, batch):
    """The same movements in bare SQL, one connection per client, all at once."""
    results = {}

    def worker(index, account_id):
        cr = registry.cursor()
        cr._cnx.autocommit = True
        try:
            cr.execute(FLOOR_PREPARE)
            samples = []
            for call in range(requests_count):
                started = time.perf_counter()
                for number in range(batch):
                    for movement in ("hold", "capture"):
                        reference = f"server-floor-{index}-{call}-{number}-{movement}"
                        cr.execute(FLOOR_EXECUTE, [account_id, service_id, DESCRIPTION, reference, 1, 1])
                samples.append(time.perf_counter() - started)
            results[index] = samples
        finally:
            cr._cnx.autocommit = False
            cr.close()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(account_ids)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, [s for samples in results.values() for s in samples]


def run(registry, args):
    clients, count, batch = args.server_clients, args.server_requests, args.server_batch
    sms = count * batch
    # The server spends one credit an SMS (warm-up too), the floor two (hold, capture).
    accounts = _setup(registry, clients, credits=3 * sms + WARMUP * batch)
    account_ids = [account_id for account_id, _token in accounts]
    granted = _ledger(registry, account_ids)
    port = _free_port()
    process = _serve(args.config, registry.db_name, port)
    url = f"http://127.0.0.1:{port}/api/sms/3/send"
    out = {}
    try:
        threads = [
            threading.Thread(target=_client, args=(url, token, count, batch, index, out))
            for index, (_account_id, token) in enumerate(accounts)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
    samples = [s for result in out.values() for s in result["samples"]]
    answered = sum(result["answered"] for result in out.values())
    accepted = sum(result["accepted"] for result in out.values())
    errors = [error for result in out.values() for error in result["errors"]]
    if errors:
        print(f"[bench] server: errors answered, e.g. {json.dumps(errors[:2])[:600]}", file=sys.stderr)
    ledger = _ledger(registry, account_ids)
    # Exact: every account's balance is the sum of its rows, and it lost exactly one credit
    # per SMS the server accepted (warm-up included).
    drift = sum(abs(balance - total) for balance, total, _charged in ledger.values())
    moved = sum(granted[a][0] - ledger[a][0] for a in account_ids)
    expected_moved = accepted + sum(WARMUP * batch for _ in account_ids)
    with registry.cursor() as cr:
        service_id = admin_env(cr).ref("sms.iap_service_sms").id
    floor_seconds, floor_samples = _floor(registry, account_ids, service_id, count, batch)
    params = f"--server-clients {clients} --server-requests {count} --server-batch {batch}, {WORKERS} workers"
    rate, floor_rate = clients * count / seconds, clients * count / floor_seconds
    return [
        equal(f"server: calls answered without error ({params})", answered, "calls", clients * count),
        equal(f"server: SMS accepted ({params})", accepted, "SMS", clients * sms),
        equal(f"server: ledger drift, balance - sum of rows ({params})", round(drift, 6), "credits", 0),
        equal(f"server: credits moved - SMS accepted ({params})", round(moved - expected_moved, 6), "credits", 0),
        info(f"server: latency p50 ({params})", median_ms(samples), "ms"),
        info(f"server: latency p99 ({params})", p99_ms(samples), "ms"),
        info(f"server: requests/s ({params})", rate, "req/s"),
        info(f"server: SQL floor latency p50 ({params})", median_ms(floor_samples), "ms"),
        info(f"server: SQL floor latency p99 ({params})", p99_ms(floor_samples), "ms"),
        info(f"server: SQL floor requests/s ({params})", floor_rate, "req/s"),
        info(f"server: floor / server requests/s ({params})", floor_rate / rate, "x"),
    ]
