# Part of iap_credits. See LICENSE file for full copyright and licensing details.
# Run by dev/interop/run.py inside `odoo-bin shell` on the SERVER database (``env`` is the
# shell's): server mode closed, one customer, its client accounts (the tokens the client
# database holds) with sandbox gateways/engines, and the credits each scenario spends.
# The grants go through the ledger API, which is private: no RPC can do this.
# ruff: noqa: F821 (``env`` is the shell's)
import json
import os

spec = json.loads(os.environ["IAP_INTEROP_SPEC"])
env["ir.config_parameter"].set_param("iap_credits.server_mode", "closed")
# The client database runs on this machine: its webhook (delivery reports) is on 127.0.0.1.
env["ir.config_parameter"].set_param("iap_credits.server_webhook_hosts", "127.0.0.1,localhost")
customer = env["res.partner"].create({"name": "Interop Client Ltd", "is_company": True, "email": "c@example.com"})
services = {s.technical_name: s for s in env["iap.service"].search([])}
services["sms"].write({"credit_unit_price": 1.0})
services["sms"].sms_rate_ids.unlink()
for name in ("partner_autocomplete", "snailmail"):
    services[name].credit_unit_price = 1.0
gateways = {
    "sms": {"sms_gateway_id": env["iap.sms.gateway"].create({"name": "Interop sandbox", "code": "sandbox"}).id},
    "partner_autocomplete": {
        "autocomplete_engine_ids": [
            (6, 0, env["iap.autocomplete.engine"].create({"name": "Interop sandbox", "code": "sandbox"}).ids)
        ]
    },
    "snailmail": {
        "snailmail_gateway_id": env["iap.snailmail.gateway"].create({"name": "Interop sandbox", "code": "sandbox"}).id
    },
}
# The company the client's user looks up (scenario d), in the sandbox engine's directory.
env["iap.autocomplete.directory"].create(
    {"name": "Interop Widgets SA", "vat": "BE0477472701", "city": "Brussels", "country_id": env.ref("base.be").id}
)
out = {"partner_id": customer.id, "accounts": {}}
for name, token in spec["tokens"].items():
    account = env["iap.account"].create(
        {
            "name": f"{name} of {customer.name}",
            "service_id": services[name].id,
            "credit_mode": "local",
            "client_partner_id": customer.id,
            "account_token": token,
            **gateways[name],
        }
    )
    if spec["credits"].get(name):
        account._credits_grant(spec["credits"][name], "Interop grant")
    out["accounts"][name] = account.id
env.cr.commit()
print("IAP_INTEROP_RESULT " + json.dumps(out))
