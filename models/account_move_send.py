# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, models
from odoo.tools import float_compare


class AccountMoveSend(models.AbstractModel):
    """Override of `snailmail_account` to show, in the Send & Print wizards, what posting the
    invoices *by Post* costs in local credits before the user sends them."""

    _inherit = "account.move.send"

    def _get_alerts(self, moves, moves_data):
        """Override of `snailmail_account`: when the invoices go by Post with local credits,
        an alert gives their price, estimated as the letters will be posted, and the credits
        available; a warning with a link to buy credits when they are short. Nothing for the
        companies whose snail mail goes to Odoo's IAP (stock)."""
        alerts = super()._get_alerts(moves, moves_data)
        to_post = moves.filtered(
            lambda move: "snailmail" in (moves_data[move].get("sending_methods") or [])
            and self._is_applicable_to_move("snailmail", move, **moves_data[move])
        )
        by_company = to_post.grouped("company_id")
        for company, company_moves in by_company.items():
            estimate = self._iap_credits_snailmail_estimate(company_moves)
            if estimate:
                key = "iap_credits_snailmail_price" + (f"_{company.id}" if len(by_company) > 1 else "")
                alerts[key] = self._iap_credits_snailmail_alert(estimate)
        return alerts

    @api.model
    def _iap_credits_snailmail_estimate(self, moves):
        """The price of posting ``moves`` (of one company) with local credits, from the one
        pricing function (`iap.service._snailmail_letter_price`): the pages of each letter
        as it will be posted (the invoice's PDF, or an estimate when it is not rendered yet;
        the stock cover page), the company's colour setting, the country of the recipient.

        :return: ``{"account", "letters", "pages", "estimated", "credits", "available",
            "short", "color", "countries", "buy_url"}``, or ``None`` when the company's snail
            mail is not paid with local credits
        """
        company = moves.company_id
        company.ensure_one()
        Letter = self.env["snailmail.letter"]
        account = Letter._iap_credits_local_account(company)
        if not account:
            return None
        estimates = [
            Letter._iap_credits_price_estimate(
                account,
                move,
                move.partner_id.country_id,
                company.snailmail_color,
                company.snailmail_cover,
                company.snailmail_duplex,
            )
            for move in moves
        ]
        credits = sum(estimate["credits"] for estimate in estimates)
        available = account.credit_available
        short = float_compare(credits, available, precision_digits=4) > 0
        return {
            "account": account,
            "letters": len(moves),
            "pages": sum(estimate["pages"] for estimate in estimates),
            "estimated": any(estimate["estimated"] for estimate in estimates),
            "credits": credits,
            "available": available,
            "short": short,
            "color": company.snailmail_color,
            "countries": moves.partner_id.country_id,
            "buy_url": account.get_credits_url(service_name="snailmail") if short else False,
        }

    @api.model
    def _iap_credits_snailmail_alert(self, estimate):
        """The wizard's alert (the stock `actionable_errors` widget) for an estimate."""
        account = estimate["account"]
        countries = estimate["countries"]
        if len(countries) == 1:
            destination = self.env._("to %(country)s", country=countries.name)
        else:
            destination = self.env._("to %(count)s countries", count=len(countries))
        values = {
            "credits": account._format_credits(estimate["credits"]),
            "available": account._format_credits(estimate["available"]),
            "letters": estimate["letters"],
            "pages": estimate["pages"],
            "printing": self.env._("in colour") if estimate["color"] else self.env._("in black and white"),
            "destination": destination,
        }
        if estimate["estimated"]:
            message = self.env._(
                "By Post: about %(credits)s for %(letters)s letter(s), estimated on %(pages)s page(s) %(printing)s "
                "%(destination)s: the PDF is not rendered yet, the price is that of the pages posted. "
                "Available: %(available)s.",
                **values,
            )
        else:
            message = self.env._(
                "By Post: %(credits)s for %(letters)s letter(s), %(pages)s page(s) %(printing)s %(destination)s. "
                "Available: %(available)s.",
                **values,
            )
        if not estimate["short"]:
            return {"level": "info", "message": message}
        message += " " + self.env._(
            "Not enough credits: a letter that cannot be paid is not posted, nothing is charged for it, "
            "and the letter queue tries it again later."
        )
        return {
            "level": "warning",
            "message": message,
            "action_text": self.env._("Buy credits"),
            "action": {"type": "ir.actions.act_url", "url": estimate["buy_url"], "target": "new"},
        }
