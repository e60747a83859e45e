# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Fixtures of the snail mail tests: a local snail mail account, letters with real PDFs,
and small HTTP servers on 127.0.0.1 that speak PostGrid's Print & Mail API (multipart
letter creation, letter retrieval, its error objects) and the generic HTTP API, so that
the providers' client code (the PostGrid SDK, requests) speaks real HTTP."""

import base64
import io
import json
import time
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import default as default_policy
from uuid import uuid4

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from odoo import Command

from .local_server import LocalServer, QuietHandler

POSTGRID_KEY = "test_sk_iapcreditstestkey0000000000"
POSTGRID_WEBHOOK_SECRET = "whsec-iap-credits-tests-0123456789"
HTTP_TOKEN = "Bearer snailmail-test-token"


def make_pdf(pages=1, text="Invoice"):
    """A real A4 PDF of ``pages`` pages (reportlab, as stock snail mail uses)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    for page in range(pages):
        canvas.drawString(100, 750, f"{text} - page {page + 1}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class FakePrintApi(LocalServer):
    """A small print-and-mail provider on 127.0.0.1, in one of these modes:

    * ``ok``: accepts every letter, except those to the cities in ``refused_cities``
      (refused for their address) and those whose PDF is in ``refused_pdfs``;
    * ``hang``: answers nothing for ``hang_seconds``, then accepts (the client gave up);
    * ``error``: answers HTTP 500; ``unauthorized``: HTTP 401;
    * ``garbage``: answers 200 with a body that is not JSON;
    * ``malformed``: answers 200 with JSON of another shape.

    ``shape`` is ``postgrid`` (``POST /print-mail/v1/letters`` as multipart with the
    ``x-api-key`` and ``idempotency-key`` headers, ``GET /print-mail/v1/letters/<id>``) or
    ``http`` (the generic API: one JSON letter per POST). Both honour the idempotency key:
    a key seen before answers the letter created for it, as PostGrid does.
    """

    def __init__(self, shape):
        self.shape = shape
        self.mode = "ok"
        self.refused_cities = set()
        self.hang_seconds = 3
        self.requests = []
        self.letters = {}  # provider id -> letter object
        self.by_key = {}  # idempotency key -> provider id
        self.on_request = None  # called with the request (a dict) before answering
        api = self

        class Handler(QuietHandler):
            def do_GET(self):
                api.requests.append({"method": "GET", "path": self.path, "headers": dict(self.headers)})
                letter_id = self.path.rsplit("/", 1)[-1]
                if api.mode == "error":
                    return self._answer(500, json.dumps(self._postgrid_error("internal_error", "Oops")))
                if letter_id not in api.letters:
                    return self._answer(404, json.dumps(self._postgrid_error("not_found_error", "No such letter")))
                return self._answer(200, json.dumps(api.letters[letter_id]))

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = {"method": "POST", "path": self.path, "headers": dict(self.headers), "body": body}
                request["fields"], request["files"] = self._form(body) if api.shape == "postgrid" else ({}, {})
                if api.shape == "http":
                    request["json"] = json.loads(body)
                api.requests.append(request)
                if api.on_request:
                    api.on_request(request)
                if api.mode == "hang":
                    time.sleep(api.hang_seconds)
                failures = {
                    "error": (500, json.dumps(self._postgrid_error("internal_error", "Something broke")), None),
                    "unauthorized": (401, json.dumps(self._postgrid_error("unauthorized_error", "Invalid key")), None),
                    "garbage": (200, "<html>Service Unavailable</html>", "text/html"),
                    "malformed": (200, '{"unexpected": true}', None),
                }
                if api.mode in failures:
                    status, text, content_type = failures[api.mode]
                    return self._answer(status, text, content_type or "application/json")
                key = self.headers.get("idempotency-key")
                if key and key in api.by_key:
                    return self._answer(200, json.dumps(api.letters[api.by_key[key]]))
                if api.shape == "postgrid":
                    return self._postgrid_create(request, key)
                return self._http_create(request, key)

            def _form(self, body):
                message = BytesParser(policy=default_policy).parsebytes(
                    b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body
                )
                fields, files = {}, {}
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    if part.get_filename():
                        files[name] = (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
                    else:
                        fields[name] = part.get_payload(decode=True).decode()
                return fields, files

            @staticmethod
            def _postgrid_error(error_type, message):
                return {"object": "error", "error": {"type": error_type, "message": message}}

            def _postgrid_create(self, request, key):
                fields, files = request["fields"], request["files"]
                if not self.headers.get("x-api-key"):
                    return self._answer(401, json.dumps(self._postgrid_error("unauthorized_error", "Missing API key")))
                if fields.get("to[city]") in api.refused_cities or not fields.get("to[addressLine1]"):
                    return self._answer(
                        400,
                        json.dumps(self._postgrid_error("validation_error", "Failed to verify the `to` address.")),
                    )
                pdf = files.get("pdf")
                if not pdf or not pdf[2].startswith(b"%PDF"):
                    return self._answer(
                        400, json.dumps(self._postgrid_error("invalid_pdf_error", "The PDF provided is invalid."))
                    )
                now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
                letter_id = f"letter_{uuid4().hex[:22]}"

                def contact(prefix):
                    return {
                        "id": f"contact_{uuid4().hex[:22]}",
                        "object": "contact",
                        "addressLine1": fields.get(f"{prefix}[addressLine1]"),
                        "addressLine2": fields.get(f"{prefix}[addressLine2]"),
                        "addressStatus": "verified",
                        "city": fields.get(f"{prefix}[city]"),
                        "companyName": fields.get(f"{prefix}[companyName]"),
                        "firstName": fields.get(f"{prefix}[firstName]"),
                        "countryCode": fields.get(f"{prefix}[countryCode]"),
                        "postalOrZip": fields.get(f"{prefix}[postalOrZip]"),
                        "provinceOrState": fields.get(f"{prefix}[provinceOrState]"),
                        "live": False,
                        "createdAt": now,
                        "updatedAt": now,
                    }

                letter = {
                    "id": letter_id,
                    "object": "letter",
                    "live": False,
                    "addressPlacement": fields.get("addressPlacement"),
                    "color": fields.get("color") == "true",
                    "doubleSided": fields.get("doubleSided") == "true",
                    "envelope": "standard",
                    "from": contact("from"),
                    "to": contact("to"),
                    "mailingClass": "first_class",
                    "sendDate": now,
                    "size": "us_letter",
                    "status": "ready",
                    "description": fields.get("description"),
                    "metadata": {"odoo_letter_id": fields.get("metadata[odoo_letter_id]")},
                    "url": f"https://pg-prod-bucket-1.s3.amazonaws.com/test/{letter_id}.pdf",
                    "createdAt": now,
                    "updatedAt": now,
                }
                api.letters[letter_id] = letter
                if key:
                    api.by_key[key] = letter_id
                return self._answer(201, json.dumps(letter))

            def _http_create(self, request, key):
                letter = request["json"]["letter"]
                if letter["address"].get("city") in api.refused_cities:
                    return self._answer(
                        422,
                        json.dumps({"status": "refused", "error_code": "MISSING_REQUIRED_FIELDS", "error": "bad city"}),
                    )
                provider_id = f"print-{uuid4().hex[:12]}"
                api.letters[provider_id] = {"id": provider_id, "status": "accepted"}
                if key:
                    api.by_key[key] = provider_id
                return self._answer(200, json.dumps(api.letters[provider_id]))

        super().__init__(Handler)

    @property
    def posts(self):
        return [request for request in self.requests if request["method"] == "POST"]


def setup_snailmail(cls):
    """Give a test class a local snail mail account (``account``, no credits) on a sandbox
    (``sandbox``), priced 1 credit per letter and 0.5 per extra page, no colour surcharge
    and no rate per country, a company and a customer (``partner``) with complete
    addresses."""
    cls.company = cls.env.company
    cls.service = cls.env.ref("snailmail.iap_service_snailmail")
    cls.service.write({"credit_unit_price": 1.0, "snailmail_page_price": 0.5, "snailmail_color_price": 0.0})
    cls.service.snailmail_rate_ids.unlink()
    cls.sandbox = cls.env["iap.snailmail.gateway"].create({"name": "Test sandbox", "code": "sandbox"})
    cls.account = cls.env["iap.account"].create(
        {
            "name": "Test snail mail account",
            "service_id": cls.service.id,
            "company_ids": [Command.set(cls.company.ids)],
            "credit_mode": "local",
            "snailmail_gateway_id": cls.sandbox.id,
        }
    )
    belgium = cls.env.ref("base.be")
    cls.company.write(
        {
            "street": "Rue du Moulin 1",
            "zip": "1000",
            "city": "Brussels",
            "country_id": belgium.id,
            "paperformat_id": cls.env.ref("base.paperformat_euro").id,
            "snailmail_cover": False,
            "snailmail_color": True,
            "snailmail_duplex": False,
        }
    )
    cls.partner = cls.env["res.partner"].create(
        {
            "name": "Alice Post",
            "is_company": True,
            "street": "Avenue Louise 10",
            "zip": "1050",
            "city": "Ixelles",
            "country_id": belgium.id,
        }
    )


class SnailmailMixin:
    """Helpers on top of a test class set up by :func:`setup_snailmail`."""

    def _start_api(self, shape):
        api = FakePrintApi(shape).start()
        self.addCleanup(api.stop)
        return api

    def _postgrid_gateway(self, url, **values):
        return self.env["iap.snailmail.gateway"].create(
            {
                "name": "Test PostGrid",
                "code": "postgrid",
                "postgrid_api_key": POSTGRID_KEY,
                "postgrid_api_url": url,
                "postgrid_webhook_secret": POSTGRID_WEBHOOK_SECRET,
                "timeout": 1,
                **values,
            }
        )

    def _http_gateway(self, url, **values):
        return self.env["iap.snailmail.gateway"].create(
            {
                "name": "Test print API",
                "code": "http",
                "http_url": f"{url}/letters",
                "http_auth_header": "Authorization",
                "http_auth_value": HTTP_TOKEN,
                "timeout": 1,
                **values,
            }
        )

    def _letter(self, partner=None, pages=1, pdf=None, **values):
        """A stock letter about ``partner`` (its chatter is the document's), with a ready
        PDF of ``pages`` pages as its attachment (stock renders one only when none is set)."""
        partner = partner or self.partner
        letter = self.env["snailmail.letter"].create(
            {
                "partner_id": partner.id,
                "model": "res.partner",
                "res_id": partner.id,
                "user_id": self.env.user.id,
                "company_id": self.company.id,
                **values,
            }
        )
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"letter-{letter.id}.pdf",
                "datas": base64.b64encode(pdf if pdf is not None else make_pdf(pages)),
                "res_model": "snailmail.letter",
                "res_id": letter.id,
                "type": "binary",
            }
        )
        letter.attachment_id = attachment
        return letter

    def _posts(self, letters):
        return self.env["iap.snailmail.post"].search([("letter_id", "in", letters.ids)])

    def _kinds(self, account=None):
        return (account or self.account).transaction_ids.sorted("id").mapped("kind")
