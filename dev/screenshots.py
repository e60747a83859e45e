"""Take the README's screenshots from a running `make run` server, in headless Chromium.

Usage: python dev/screenshots.py [--url http://localhost:8069] [--db iap_credits_demo]

Logs in as admin over JSON-RPC, hands the session cookie to Chromium through the
DevTools protocol, opens each page and saves a PNG in static/description/.
"""

import argparse
import base64
import json
import pathlib
import shutil
import subprocess
import tempfile
import time

import requests
import websocket

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "description"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1400,900",
]


class DevTools:
    """The few DevTools protocol calls we need, over one websocket."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=60)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})


def login(url, db):
    session = requests.Session()
    response = session.post(
        f"{url}/web/session/authenticate",
        json={"jsonrpc": "2.0", "params": {"db": db, "login": "admin", "password": "admin"}},
        timeout=30,
    )
    response.raise_for_status()
    return session.cookies["session_id"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="iap_credits_demo")
    parser.add_argument("--port", type=int, default=9333, help="Chromium's DevTools port")
    parser.add_argument("--only", default="", help="comma-separated file names to take, e.g. post_outbox.png")
    args = parser.parse_args()

    pages = {
        "view_my_services.png": "/odoo/action-iap.iap_account_action",
        "account_form.png": "/odoo/action-iap.iap_account_action/{sms}",
        "credit_packs.png": "/iap_credits/buy/{sms}",
        "credits_used.png": "/odoo/action-iap_credits.iap_credit_transaction_action_analysis",
        "sms_outbox.png": "/odoo/action-iap_credits.iap_sms_message_action",
        "digitized_bill.png": "/odoo/action-account.action_move_in_invoice_type/{bill}",
        "post_outbox.png": "/odoo/action-iap_credits.iap_snailmail_post_action/{post}",
    }
    if args.only:
        pages = {name: path for name, path in pages.items() if name in args.only.split(",")}
    session_id = login(args.url, args.db)

    def first_id(model, domain):
        rpc = requests.post(
            f"{args.url}/web/dataset/call_kw/{model}/search_read",
            cookies={"session_id": session_id},
            json={
                "jsonrpc": "2.0",
                "params": {"model": model, "method": "search_read", "args": [domain, ["id"]], "kwargs": {"limit": 1}},
            },
            timeout=30,
        ).json()
        return rpc["result"][0]["id"] if rpc.get("result") else 0

    ids = {
        "sms": first_id("iap.account", [["service_name", "=", "sms"], ["credit_mode", "=", "local"]]),
        "bill": first_id("account.move", [["digitization_state", "=", "done"]]),
        "post": first_id("iap.snailmail.post", [["state", "=", "accepted"]]),
    }

    profile = tempfile.mkdtemp(prefix="iap_credits_chromium_")
    browser = subprocess.Popen(
        [
            shutil.which("chromium"),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--remote-debugging-port={args.port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _attempt in range(50):
            try:
                targets = requests.get(f"http://127.0.0.1:{args.port}/json", timeout=2).json()
                page = next(t for t in targets if t["type"] == "page")
                break
            except (requests.ConnectionError, StopIteration):
                time.sleep(0.2)
        tools = DevTools(page["webSocketDebuggerUrl"])
        tools.call("Network.enable")
        tools.call("Network.setCookie", name="session_id", value=session_id, url=args.url)
        tools.call("Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1, mobile=False)
        for filename, path in pages.items():
            tools.call("Page.navigate", url=args.url + path.format(**ids))
            time.sleep(6 if filename != "view_my_services.png" else 15)  # assets compile on first load
            shot = tools.call("Page.captureScreenshot", format="png")
            (OUT / filename).write_bytes(base64.b64decode(shot["data"]))
            print(f"saved static/description/{filename}")
    finally:
        browser.terminate()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
