# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import base64
import logging
import re
from urllib.parse import urljoin, urlsplit

import extruct

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.image import image_process

from ..tools import company_data

_logger = logging.getLogger(__name__)

WEBSITE_URL_TEMPLATE = "https://{domain}/"
MAX_PAGE_BYTES = 2_000_000
MAX_LOGO_BYTES = 1_000_000
MAX_REDIRECTS = 3
HTML_TYPES = ("text/html", "application/xhtml+xml")
METADATA_SYNTAXES = ["json-ld", "microdata", "opengraph"]
CHARSET_RE = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)


class IapAutocompleteEngine(models.Model):
    """Company website provider: what a company says about itself on its home page.

    The page at the company's domain is read for its schema.org organization (JSON-LD or
    microdata: name, address, phone, email, VAT number, logo) and its OpenGraph
    properties, with `extruct`; the domain is the registrable one by the Public Suffix
    List (`tldextract`, with the list it ships). A domain typed in the name field is a
    suggestion (nothing is fetched while the user types); picking it reads the site.

    Only hosts on the public internet are fetched, redirections included, so that a
    domain typed by a user never makes this server call itself or its local network.
    """

    _inherit = "iap.autocomplete.engine"

    code = fields.Selection(selection_add=[("website", "Company website")], ondelete={"website": "cascade"})
    website_url = fields.Char(
        string="Website URL",
        default=WEBSITE_URL_TEMPLATE,
        groups="base.group_system",
        help="The page read for a company; {domain} stands for its domain (odoo.com). Change it only for a "
        "proxy or a test server: a host without {domain} is trusted, any other host must be public.",
    )

    @api.model
    def _get_url_fields(self):
        """Override of `iap_credits`: the provider's URL."""
        return super()._get_url_fields() | {"website_url"}

    def _autocomplete_supports(self, kind):
        """Override of `iap_credits`: websites are found by domain, typed as a name or known."""
        if self.code != "website":
            return super()._autocomplete_supports(kind)
        return kind in ("name", "domain")

    def _autocomplete_search_by_name(self, query, country_code, limit, timeout):
        """Override of `iap_credits`: a domain typed as a name is a suggestion; nothing is fetched."""
        if self.code != "website":
            return super()._autocomplete_search_by_name(query, country_code, limit, timeout)
        domain = company_data.registrable_domain(query) if "." in query else None
        return [{"name": domain, "key": domain}] if domain else []

    def _autocomplete_enrich(self, key, timeout):
        """Override of `iap_credits`: the key of a suggestion is the domain."""
        if self.code != "website":
            return super()._autocomplete_enrich(key, timeout)
        return self._website_company(key, timeout)

    def _autocomplete_enrich_by_domain(self, domain, timeout):
        """Override of `iap_credits` to read the company's website."""
        if self.code != "website":
            return super()._autocomplete_enrich_by_domain(domain, timeout)
        return self._website_company(domain, timeout)

    # ------------------------------------------------------------
    # WEBSITE
    # ------------------------------------------------------------

    def _website_company(self, domain, timeout):
        """The company data of the website of ``domain``, or {} when it tells nothing.

        :raise UserError: when the site cannot be read
        """
        self.ensure_one()
        domain = company_data.registrable_domain(domain)
        if not domain:
            return {}
        timeout = self._autocomplete_timeout(timeout)
        template = self.sudo().website_url or WEBSITE_URL_TEMPLATE
        url = template.replace("{domain}", domain)
        # A host written by the administrator is trusted (a proxy); hosts made of what users
        # type, or named by redirections, must be public.
        trusted_host = urlsplit(url).hostname if "{domain}" not in urlsplit(template).netloc else None
        response, content, url = self._website_get(url, trusted_host, timeout, MAX_PAGE_BYTES, HTML_TYPES)
        if response is None:
            return {}
        try:
            metadata = extruct.extract(
                content,
                base_url=url,
                # The charset the server sent, else the page's own <meta charset> (lxml reads it).
                encoding=self._website_charset(response),
                syntaxes=METADATA_SYNTAXES,
                uniform=True,
                errors="ignore",
            )
        except Exception as error:
            _logger.warning("Website engine %s: unreadable page of %s: %s", self.name, domain, type(error).__name__)
            raise UserError(self._autocomplete_malformed_reason()) from None
        company = company_data.website_company(metadata)
        logo_url = company.pop("logo_url", None)
        if not company:
            return {}
        company["website"] = f"https://{domain}"
        if logo_url:
            company["logo"] = self._website_logo(urljoin(url, logo_url), trusted_host, timeout)
        return company_data.compact(company)

    def _website_charset(self, response):
        match = CHARSET_RE.search(response.headers.get("Content-Type") or "")
        return match.group(1) if match else None

    def _website_get(self, url, trusted_host, timeout, max_bytes, content_types):
        """GET ``url``, following up to `MAX_REDIRECTS` redirections, each host checked.

        :return: ``(response, content, final url)``, or ``(None, None, url)`` when the page
            does not exist or is not of ``content_types``
        :raise UserError: when the site cannot be read, or is not on the public internet
        """
        for _hop in range(MAX_REDIRECTS + 1):
            self._website_check_url(url, trusted_host)
            response, content = self._autocomplete_request(
                "GET",
                url,
                timeout,
                max_bytes=max_bytes,
                allow_redirects=False,
                headers={"Accept": ", ".join(content_types)},
            )
            if not response.is_redirect:
                break
            url = urljoin(url, response.headers.get("Location", ""))
        else:
            raise UserError(self.env._("The website redirects too many times."))
        content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if response.status_code == 404 or not any(content_type.startswith(kind) for kind in content_types):
            return None, None, url
        return response, content, url

    def _website_check_url(self, url, trusted_host):
        """Refuse URLs that are not http(s) or whose host is not on the public internet."""
        try:
            parts = urlsplit(url)
            host, port = parts.hostname, parts.port
        except ValueError:  # a redirection or a logo URL of the page, written by anyone
            raise UserError(self._autocomplete_malformed_reason()) from None
        if parts.scheme not in ("http", "https") or not host:
            raise UserError(self.env._("The website engine only reads web pages (http or https)."))
        if host == trusted_host:
            return
        try:
            company_data.resolve_public_host(host, port or (443 if parts.scheme == "https" else 80))
        except ValueError:
            _logger.warning("Website engine %s: refused non-public host %s", self.name, host)
            raise UserError(self.env._("This website is not on the public internet: it is not read.")) from None
        except OSError:
            raise UserError(
                self.env._("The autocomplete engine %(name)s could not be reached.", name=self.name)
            ) from None

    def _website_logo(self, url, trusted_host, timeout):
        """The logo at ``url``, resized, in base64; None when it cannot be read (the company
        data is worth its credit without it)."""
        try:
            response, content, _url = self._website_get(url, trusted_host, timeout, MAX_LOGO_BYTES, ("image/",))
            if response is None or response.headers.get("Content-Type", "").startswith("image/svg"):
                return None
            return base64.b64encode(image_process(content, size=(512, 512))).decode()
        except UserError as error:
            _logger.info("Website engine %s: no logo from %s: %s", self.name, urlsplit(url).hostname, error)
            return None
