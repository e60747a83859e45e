# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Reading one queued document: its checks, the credit hold, the gateway's extraction and
the fill-in of the record."""

import logging

from odoo import models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from ..tools import document_text
from .iap_digitization_mixin import (
    DIGITIZATION_SERVICE,
)

_logger = logging.getLogger(__name__)


class IapDigitizationReading(models.AbstractModel):
    """One document read by the account's gateway, under a credit hold."""

    _inherit = "iap.digitization.mixin"

    def _digitize(self):
        """Read one record's document with the account's gateway and fill the record, under
        a credit hold.

        The document is checked first (see :meth:`_digitization_prepare`): what fails there
        is refused before any credit is held. The document is priced at
        `iap.service.credit_unit_price` credits, held before the gateway runs, captured when
        fields were extracted and applied, released otherwise.
        """
        self.ensure_one()
        account = self._digitization_account()
        document = self._digitization_prepare(account)
        if document is None:
            return
        price = account.service_id.credit_unit_price
        outcomes = {}

        def perform(records):
            results = []
            for record in records:
                outcome = account._digitization_extract(document)
                if outcome.get("success"):
                    try:
                        with self.env.cr.savepoint():
                            record._digitization_apply(outcome["fields"])
                    except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                        raise
                    except Exception as error:  # a record that cannot take the values is not charged
                        _logger.exception("Could not fill %s with the digitized fields", record)
                        outcome = {**outcome, "success": False, "error": str(error), "error_code": "engine"}
                outcomes[record.id] = outcome
                results.append(outcome)
            return results

        try:
            with self.env.cr.savepoint():
                result = self.env["iap.credit.dispatch"]._dispatch(
                    account,
                    [self],
                    lambda record: price,
                    perform,
                    self.env._("Digitization of %(record)s", record=self._digitization_ledger_name()),
                    reference=document["name"],
                    origin=self,
                    settle_after_commit=True,
                )
        except InsufficientCreditError as error:
            self._digitization_set_failed("no_credit", str(error.args[0] if error.args else error))
            return
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except Exception as error:
            _logger.warning("Digitization of %s failed", self, exc_info=True)
            self._digitization_set_failed(
                "engine", self.env._("The digitization engine failed: %(error)s", error=str(error) or repr(error))
            )
            return
        outcome = outcomes.get(self.id) or result.outcomes[0]
        if outcome.get("success"):
            self._digitization_set_done(outcome["fields"], result.credits_charged, account)
        else:
            self._digitization_set_failed(
                outcome.get("error_code") or "unreadable",
                outcome.get("error") or self._digitization_unreadable_message(),
            )

    def _digitization_prepare(self, account):
        """The document to read for this record, or ``None`` when the record was failed
        instead: no local account, document gone, no longer the record's own or readable by
        who queued it, or over the size, page or pixel caps. Nothing is held yet, so nothing
        is charged.

        :rtype: dict or None
        """
        if not account or account.credit_mode != "local":
            self._digitization_set_failed(
                "no_account",
                self.env._(
                    "Document digitization needs an IAP account with local credits for %(company)s.",
                    company=self.company_id.name,
                ),
            )
            return None
        attachment = self.digitization_attachment_id.sudo()
        if not attachment.exists():
            self._digitization_set_failed("unreadable", self.env._("The attached document is gone."))
            return None
        refusal = self._digitization_document_refusal(attachment)
        if refusal:
            self._digitization_set_failed("forbidden", refusal)
            return None
        limits = account._digitization_limits()
        try:
            if attachment.file_size > limits.max_bytes:  # before the content is even loaded
                raise document_text.DocumentLimitError("bytes", attachment.file_size, limits.max_bytes)
            document = self._digitization_document_payload(limits)
            document_text.check_document(document["data"], document["mimetype"], limits)
        except document_text.DocumentLimitError as error:
            self._digitization_set_failed("limit", account._digitization_limit_reason(error))
            return None
        except document_text.DocumentError as error:
            self._digitization_set_failed("unreadable", str(error))
            return None
        return document

    def _credits_hold_done(self, hold):
        """Hook of `iap.account._credits_settle`: the credits to capture for ``hold``.

        The record's digitization is the record of the work: its hold is captured once the
        record is committed as digitized, and only its latest hold (a later request of the
        same record made its own); any other is released.

        :return: the hold's credits, or None when its work is not recorded as done
        """
        self.ensure_one()
        if self.digitization_state != "done":
            return None
        latest = (
            self.env["iap.credit.transaction"]
            .sudo()
            .search(
                [("origin_ref", "=", f"{self._name},{self.id}"), ("kind", "=", "reservation")], limit=1, order="id desc"
            )
        )
        return hold.reserved_change if latest == hold else None

    def _digitization_ledger_name(self):
        """The record as its ledger row names it: a draft has no number of its own yet
        ("Draft Bill"), so its id tells which one."""
        name = self.display_name
        if "name" in self._fields and self.name in (False, "/"):
            name = f"{name} #{self.id}"
        return name

    def _digitization_account(self):
        self.ensure_one()
        return self.env["iap.account"]._account_for(DIGITIZATION_SERVICE, self.company_id)

    def _digitization_document_payload(self, limits):
        attachment = self.digitization_attachment_id.sudo()
        return {
            "data": attachment.raw,
            "mimetype": attachment.mimetype,
            "name": attachment.name,
            "document_type": self._digitization_document_type,
            # The company's own VAT numbers are printed on what it receives: never the issuer's.
            "exclude_vats": list(
                dict.fromkeys(vat for vat in (self.company_id.vat, self.company_id.partner_id.vat) if vat)
            ),
            "limits": limits,
        }

    # ------------------------------------------------------------
