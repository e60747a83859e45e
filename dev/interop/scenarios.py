# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The scenarios of the interoperability test (issue 16, (a)-(e)): each drives the client
database's stock code over JSON-RPC as its administrator and checks the server's ledger.
A scenario raises AssertionError (with what it saw) when the two databases disagree."""

import base64
import io
import time


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def ledger(context, service):
    """The server's settled balance and ledger rows of the client's ``service`` account."""
    server, account_id = context["server"], context["server_info"]["accounts"][service]
    [account] = server("iap.account", "read", [account_id], ["credit_balance"])
    rows = server("iap.credit.transaction", "search_read", [("account_id", "=", account_id)], ["kind", "credits"])
    return account["credit_balance"], rows


def check_ledger(context, service):
    balance, rows = ledger(context, service)
    total = sum(row["credits"] for row in rows)
    check(abs(balance - total) < 1e-6, f"server {service}: balance {balance} != ledger sum {total} ({rows})")
    return balance, rows


def xmlid(rpc, module, name):
    [row] = rpc("ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)], ["res_id"])
    return row["res_id"]


def wait_for(probe, seconds, what):
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting for {what}")
        time.sleep(0.5)


def view_my_services(context):
    """(a) Settings > View My Services: the stock list reads iap.account (web_search_read),
    which fetches the balances from `/iap/1/get-accounts-information` of the server."""
    client = context["client"]
    answer = client("iap.account", "web_search_read", [], specification={"service_name": {}, "balance": {}})
    balances = {record["service_name"]: record["balance"] for record in answer["records"]}
    for service in ("sms", "partner_autocomplete", "snailmail"):
        expected, _rows = check_ledger(context, service)
        shown = (balances.get(service) or "").split(" ")[0]
        check(
            shown and float(shown) == expected, f"{service}: client shows {balances.get(service)!r}, server {expected}"
        )


def _sms_partner(client, name, mobile):
    country = client("res.country", "search", [("code", "=", "BE")])[0]
    return client("res.partner", "create", {"name": name, "phone": mobile, "country_id": country})


def _send_sms(client, partner_id, body):
    """The contact form's SMS button: the stock composer in comment mode, then the SMS
    queue's cron (what the client's cron thread does on its next run)."""
    composer = client(
        "sms.composer",
        "create",
        {"body": body},
        context={
            "default_res_model": "res.partner",
            "default_res_id": partner_id,
            "default_composition_mode": "comment",
        },
    )
    client("sms.composer", "action_send_sms", [composer])
    client("ir.cron", "method_direct_trigger", [xmlid(client, "sms", "ir_cron_sms_scheduler_action")])
    [message] = client(
        "mail.message",
        "search_read",
        [("model", "=", "res.partner"), ("res_id", "=", partner_id), ("message_type", "=", "sms")],
        ["id"],
        limit=1,
        order="id desc",
    )
    return message["id"]


def _notification(client, message_id):
    [row] = client(
        "mail.notification",
        "search_read",
        [("mail_message_id", "=", message_id)],
        ["notification_status", "failure_type"],
    )
    return row


def send_sms(context):
    """(b) One SMS from a contact: charged on the server, delivered by its sandbox, the
    delivery report pushed back to the client's /sms/status, its notification 'sent'."""
    client, server = context["client"], context["server"]
    before, rows_before = check_ledger(context, "sms")
    partner = _sms_partner(client, "Interop Contact", "+32 470 12 34 56")
    message = _send_sms(client, partner, "Hello from the client database")
    after, rows_after = check_ledger(context, "sms")
    check(after == before - 1, f"server sms balance {before} -> {after}, expected one credit charged")
    check(len(rows_after) > len(rows_before), "no ledger row for the SMS on the server")
    state = _notification(client, message)
    check(state["notification_status"] in ("pending", "sent"), f"client notification after send: {state}")
    # The server's report job is triggered by the send; its cron workers run it. Give them
    # a moment, then run it ourselves, as an administrator would.
    try:
        wait_for(lambda: _notification(client, message)["notification_status"] == "sent", 10, "the report")
    except AssertionError:
        try:
            server("ir.cron", "method_direct_trigger", [xmlid(server, "iap_credits", "ir_cron_sms_server_reports")])
        except RuntimeError as error:  # a cron worker is running it right now: it will push
            if "already executing" not in str(error):
                raise
        wait_for(
            lambda: _notification(client, message)["notification_status"] == "sent",
            20,
            f"the delivery report on the client (notification {_notification(client, message)})",
        )


def empty_account(context):
    """(c) The account is empty: the SMS fails with the stock credit error, nothing is
    charged, and the stock buy link opens the server's /iap/1/credit page with its packs."""
    client, server = context["client"], context["server"]
    before, rows_before = check_ledger(context, "sms")
    check(before < 1, f"scenario expects the SMS account empty, server has {before}")
    partner = _sms_partner(client, "Interop Broke Contact", "+32 470 65 43 21")
    message = _send_sms(client, partner, "No credit left")
    state = _notification(client, message)
    check(
        state["notification_status"] == "exception" and state["failure_type"] == "sms_credit",
        f"client notification with an empty account: {state}",
    )
    after, rows_after = check_ledger(context, "sms")
    check((after, len(rows_after)) == (before, len(rows_before)), f"refused SMS moved credits: {rows_after}")
    url = client("iap.account", "get_credits_url", "sms")
    check(url.startswith(server.url + "/iap/1/credit"), f"buy link {url!r} is not the server's credit page")
    status, page = server.get(url)
    check(status == 200, f"GET {url} answered {status}: {page[:300]}")
    packs = server("iap.credit.pack", "search_read", [("service_id.technical_name", "=", "sms")], ["name"])
    check(packs, "no SMS credit pack on the server (demo data)")
    check(any(pack["name"] in page for pack in packs), f"no pack among {[p['name'] for p in packs]} on the page")


def autocomplete(context):
    """(d) Typing a company name in a contact, then picking the suggestion: stock
    autocomplete_by_name (free, as Odoo's), then enrich_by_duns (the widget's pick: charged)."""
    client = context["client"]
    before, _rows = check_ledger(context, "partner_autocomplete")
    country = client("res.country", "search", [("code", "=", "BE")])[0]
    suggestions = client("res.partner", "autocomplete_by_name", "Interop Widgets", country)
    picked = [s for s in suggestions if s.get("name") == "Interop Widgets SA"]
    check(picked and picked[0].get("duns"), f"suggestions: {suggestions}")
    company = client("res.partner", "enrich_by_duns", picked[0]["duns"])
    check(company and company.get("city") == "Brussels" and not company.get("error"), f"enrichment: {company}")
    after, _rows = check_ledger(context, "partner_autocomplete")
    check(after == before - 1, f"server autocomplete balance {before} -> {after}, expected one credit")


def _pdf():
    from reportlab.pdfgen import canvas  # an Odoo requirement

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(100, 750, "Interop letter")
    page.save()
    return base64.b64encode(buffer.getvalue()).decode()


def snail_mail(context):
    """(e) Post a letter to a contact: stock snailmail.letter and its Send button."""
    client = context["client"]
    before, _rows = check_ledger(context, "snailmail")
    country = client("res.country", "search", [("code", "=", "BE")])[0]
    partner = client(
        "res.partner",
        "create",
        {
            "name": "Interop Addressee",
            "street": "Rue de la Loi 16",
            "zip": "1000",
            "city": "Brussels",
            "country_id": country,
        },
    )
    attachment = client(
        "ir.attachment",
        "create",
        {
            "name": "letter.pdf",
            "datas": _pdf(),
            "res_model": "res.partner",
            "res_id": partner,
            "mimetype": "application/pdf",
        },
    )
    company = client("res.company", "search", [], limit=1)[0]
    letter = client(
        "snailmail.letter",
        "create",
        {
            "partner_id": partner,
            "model": "res.partner",
            "res_id": partner,
            "attachment_id": attachment,
            "company_id": company,
            "user_id": client.uid,
        },
    )
    client("snailmail.letter", "snailmail_print", [letter])
    [state] = client("snailmail.letter", "read", [letter], ["state", "error_code", "info_msg"])
    check(state["state"] == "sent", f"letter on the client: {state}")
    after, _rows = check_ledger(context, "snailmail")
    check(after < before, f"server snailmail balance {before} -> {after}: nothing charged")


SCENARIOS = [
    ("view_my_services", view_my_services),
    ("send_sms", send_sms),
    ("empty_account", empty_account),
    ("autocomplete", autocomplete),
    ("snail_mail", snail_mail),
]
