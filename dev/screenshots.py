"""Take the README's screenshots from a running `make run` server, in headless Chromium,
in every language of the README: English (static/description/<name>.png) and Simplified
Chinese (static/description/zh_CN/<name>.png, shown by readme/translations.md).

Usage: python dev/screenshots.py [--url http://localhost:8069] [--db iap_credits_demo]
                                 [--langs en_US,zh_CN] [--only post_outbox.png]

Logs in as admin over JSON-RPC, installs the languages the demo lacks (Settings →
Languages, as an administrator does), switches admin's language to each one in turn
(and back afterwards), hands the session cookie to Chromium through the DevTools
protocol, opens each page and saves a PNG once the page shows what it is taken for.

partner_autocomplete.png needs a contact filled by the stock autocomplete widget: the
first run types a directory company's name in a new contact, picks the suggestion, and
marks the contact it saved (its Reference) so that later runs show it again. The
chatter card is written in the language of whoever filled the contact, so each language
gets its own contact, of another company (one credit of the Partner Autocomplete account
each, once).
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
# Each screenshot: the page, and what it must show before it is taken.
PAGES = {
    "view_my_services.png": ("/odoo/action-iap.iap_account_action", ".o_list_view .o_data_row"),
    "account_form.png": (
        "/odoo/action-iap.iap_account_action/{sms}",
        ".o_form_view .o_field_widget[name=recent_transaction_ids] .o_data_row",
    ),
    "credit_packs.png": ("/iap_credits/buy/{sms}", ".o_iap_credits_pack"),
    "credits_used.png": ("/odoo/action-iap_credits.iap_credit_transaction_action_analysis", ".o_graph_renderer canvas"),
    "sms_outbox.png": ("/odoo/action-iap_credits.iap_sms_message_action", ".o_list_view .o_data_row"),
    "digitized_bill.png": (
        "/odoo/action-account.action_move_in_invoice_type/{bill}",
        ".o_form_view .o_field_widget[name=invoice_line_ids] .o_data_row",
    ),
    "post_outbox.png": ("/odoo/action-iap_credits.iap_snailmail_post_action/{post}", ".o_form_view"),
    "partner_autocomplete.png": ("/odoo/contacts/{partner}", ".o-mail-Message .o_partner_autocomplete_enrich_info"),
}
SMS_CONTACT, SMS_BODY = "Acme Corporation", "Hello from the demo: your order is ready."
# Entries of the demo's Sandbox directory, one per language: a second contact of the same
# company would be flagged as a duplicate, and the widget would not save it.
AUTOCOMPLETE_COMPANIES = ["Blue Harbour Logistics NV", "Grachtwerk Software B.V.", "Havbrise Design ApS"]
AUTOCOMPLETE_REF = "iap_credits_screenshot_{lang}"  # marks the contact of each language
# Fills a new company contact with the stock widget, as a user types and picks; returns
# the contact's id once the widget saved it (it posts the company card next).
AUTOCOMPLETE_JS = """
(async () => {
    const wait = async (find, what) => {
        for (let i = 0; i < 150; i++) {
            const found = find();
            if (found) return found;
            await new Promise((resolve) => setTimeout(resolve, 200));
        }
        throw new Error("not found: " + what);
    };
    (await wait(() => document.querySelector(
        ".o_field_widget[name=company_type] input[data-value=company]"), "company type")).click();
    const name = await wait(() => document.querySelector(".o_field_widget[name=name] input"), "name");
    name.focus();
    name.value = %(query)s;
    name.dispatchEvent(new InputEvent("input", {bubbles: true}));
    const option = await wait(() => [...document.querySelectorAll(".o-autocomplete--dropdown-item")]
        .find((item) => item.textContent.includes(%(company)s)), "suggestion");
    (option.querySelector("a") || option).click();
    // The widget saves the contact, then posts the card: the contact has an id.
    return await wait(() => parseInt(location.pathname.split("/").pop()), "saved contact");
})()
"""


class DevTools:
    """The few DevTools protocol calls we need, over one websocket."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=120)
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

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("exception", {}).get("description", result))
        return result["result"].get("value")

    def wait_for(self, selector, timeout=60):
        """Wait until ``selector`` matches, then a moment for the page to settle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(f"!!document.querySelector({json.dumps(selector)})"):
                time.sleep(1.5)
                return
            time.sleep(0.5)
        raise RuntimeError(f"{selector} never showed")


class Odoo:
    """JSON-RPC as admin."""

    def __init__(self, url, db):
        self.url, self.db = url, db
        self.login()

    def login(self):
        """A new session: its context (the language) is the user's at login time."""
        response = requests.post(
            f"{self.url}/web/session/authenticate",
            json={"jsonrpc": "2.0", "params": {"db": self.db, "login": "admin", "password": "admin"}},
            timeout=60,
        )
        response.raise_for_status()
        self.uid = response.json()["result"]["uid"]
        self.session_id = response.cookies["session_id"]

    def call(self, model, method, *args, **kwargs):
        response = requests.post(
            f"{self.url}/web/dataset/call_kw/{model}/{method}",
            cookies={"session_id": self.session_id},
            json={"jsonrpc": "2.0", "params": {"model": model, "method": method, "args": args, "kwargs": kwargs}},
            timeout=600,
        ).json()
        if "error" in response:
            raise RuntimeError(f"{model}.{method}: {response['error']['data']['message']}")
        return response["result"]

    def first_id(self, model, domain):
        records = self.call(model, "search_read", domain, ["id"], limit=1)
        return records[0]["id"] if records else 0

    def install_languages(self, langs):
        """Settings → Languages → Add Languages, for those of ``langs`` not active yet."""
        missing = self.call(
            "res.lang",
            "search_read",
            [["code", "in", langs], ["active", "=", False]],
            ["code"],
            context={"active_test": False},
        )
        if missing:
            print("installing " + ", ".join(lang["code"] for lang in missing) + " (the translations of every module)")
            wizard = self.call("base.language.install", "create", {"lang_ids": [[6, 0, [r["id"] for r in missing]]]})
            self.call("base.language.install", "lang_install", [wizard])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="iap_credits_demo")
    parser.add_argument("--port", type=int, default=9333, help="Chromium's DevTools port")
    parser.add_argument(
        "--langs", default="en_US,zh_CN", help="languages to take, the first one in static/description/"
    )
    parser.add_argument("--only", default="", help="comma-separated file names to take, e.g. post_outbox.png")
    args = parser.parse_args()

    langs = args.langs.split(",")
    pages = {name: page for name, page in PAGES.items() if not args.only or name in args.only.split(",")}
    odoo = Odoo(args.url, args.db)
    odoo.install_languages(langs)
    own_lang = odoo.call("res.users", "read", [odoo.uid], ["lang"])[0]["lang"]
    ids = {
        "sms": odoo.first_id("iap.account", [["service_name", "=", "sms"], ["credit_mode", "=", "local"]]),
        "bill": odoo.first_id("account.move", [["digitization_state", "=", "done"]]),
        "post": odoo.first_id("iap.snailmail.post", [["state", "=", "accepted"]]),
    }
    if "sms_outbox.png" in pages:
        send_sms_if_none(odoo)
    if "digitized_bill.png" in pages and not ids["bill"]:
        ids["bill"] = digitize_demo_bill(odoo)

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
        tools.call("Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1, mobile=False)
        for index, lang in enumerate(langs):
            out = OUT if index == 0 else OUT / lang
            out.mkdir(exist_ok=True)
            odoo.call("res.users", "write", [odoo.uid], {"lang": lang})
            odoo.login()
            tools.call("Network.setCookie", name="session_id", value=odoo.session_id, url=args.url)
            # The purchase pages follow the user's language; the cookie of the website's, too.
            tools.call("Network.setCookie", name="frontend_lang", value=lang, url=args.url)
            if "partner_autocomplete.png" in pages:
                company = AUTOCOMPLETE_COMPANIES[index % len(AUTOCOMPLETE_COMPANIES)]
                ids["partner"] = autocompleted_partner(odoo, tools, args.url, lang, company)
            for filename, (path, ready) in pages.items():
                tools.call("Page.navigate", url=args.url + path.format(**ids))
                tools.wait_for(ready, timeout=120)  # assets compile on the first load
                shot = tools.call("Page.captureScreenshot", format="png")
                (out / filename).write_bytes(base64.b64decode(shot["data"]))
                print(f"saved {(out / filename).relative_to(ROOT)}")
    finally:
        odoo.call("res.users", "write", [odoo.uid], {"lang": own_lang})
        browser.terminate()
        shutil.rmtree(profile, ignore_errors=True)


def send_sms_if_none(odoo):
    """An SMS in the outbox: sent from a contact's composer, as the web client sends it."""
    if odoo.first_id("iap.sms.message", []):
        return
    partner_id = odoo.first_id("res.partner", [["name", "=", SMS_CONTACT], ["phone", "!=", False]]) or odoo.first_id(
        "res.partner", [["phone", "!=", False]]
    )
    context = {
        "default_res_model": "res.partner",
        "default_res_id": partner_id,
        "default_number_field_name": "phone",
        "default_composition_mode": "comment",
    }
    composer = odoo.call("sms.composer", "create", {"body": SMS_BODY}, context=context)
    odoo.call("sms.composer", "action_send_sms", [composer], context=context)
    print(f"sent an SMS to contact {partner_id} (sandbox gateway)")


def digitize_demo_bill(odoo):
    """The demo's draft bill with its scan, digitized: Digitize, as the user clicks it; the
    scheduled job it triggers reads the scan."""
    bill_id = odoo.first_id(
        "account.move",
        [["move_type", "=", "in_invoice"], ["state", "=", "draft"], ["message_main_attachment_id", "!=", False]],
    )
    odoo.call("account.move", "action_digitize", [bill_id])
    for _attempt in range(90):
        state = odoo.call("account.move", "read", [bill_id], ["digitization_state"])[0]["digitization_state"]
        if state == "done":
            print(f"digitized bill {bill_id}")
            return bill_id
        time.sleep(2)
    raise RuntimeError(f"bill {bill_id} was not digitized ({state})")


def autocompleted_partner(odoo, tools, url, lang, company):
    """The contact of ``lang`` filled by the stock autocomplete widget (with ``company`` now if none is)."""
    ref = AUTOCOMPLETE_REF.format(lang=lang)
    partner_id = odoo.first_id("res.partner", [["ref", "=", ref]])
    if partner_id:
        return partner_id
    tools.call("Page.navigate", url=f"{url}/odoo/contacts/new")
    tools.wait_for(".o_form_view .o_field_widget[name=name] input", timeout=120)
    query = " ".join(company.split()[:1])  # the start of the name, as a user types it
    partner_id = tools.evaluate(AUTOCOMPLETE_JS % {"query": json.dumps(query), "company": json.dumps(company)})
    card = [["model", "=", "res.partner"], ["res_id", "=", partner_id], ["body", "ilike", "enrich_info"]]
    for _attempt in range(60):
        if odoo.first_id("mail.message", card):
            break
        time.sleep(1)
    else:
        raise RuntimeError(f"the autocomplete widget posted no company card on contact {partner_id}")
    odoo.call("res.partner", "write", [partner_id], {"ref": ref})
    print(f"filled contact {partner_id} with the autocomplete widget ({lang})")
    return partner_id


if __name__ == "__main__":
    main()
