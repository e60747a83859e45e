/** Open a contact, click the SMS button next to its phone, type, send: the chatter shows the SMS. */
import {registry} from "@web/core/registry";

const BODY = "Hello from the iap_credits tour";

registry.category("web_tour.tours").add("iap_credits_sms_from_contact", {
    steps: () => [
        {
            content: "Focus the phone number: its Call and SMS buttons show",
            trigger: ".o_form_view .o_field_widget[name=phone] input",
            run: "click",
        },
        {
            content: "Click the SMS button next to the phone number",
            trigger: ".o_form_view .o_field_widget[name=phone] .o_field_phone_sms",
            run: "click",
        },
        {
            content: "Type the message",
            trigger: ".modal .o_field_widget[name=body] textarea",
            run: `edit ${BODY}`,
        },
        {
            content: "The composer tells the price in credits",
            trigger:
                ".modal .o_iap_credits_sms_estimate:contains(credits):contains(available)",
        },
        {
            content: "With enough credits, no warning",
            trigger: ".modal:not(:has(.o_iap_credits_sms_short))",
        },
        {
            content: "Send",
            trigger: ".modal-footer button[name=action_send_sms]:enabled",
            run: "click",
        },
        {
            content: "The chatter shows the SMS",
            trigger: `.o-mail-Message:contains(${BODY}) .o-mail-Message-notification .fa-mobile`,
        },
        {
            content: "The contact's SMS history counts it, with its credits",
            trigger:
                ".o_form_view button[name=action_open_iap_sms_messages]:contains(1 SMS):contains(credits)",
        },
    ],
});

registry.category("web_tour.tours").add("iap_credits_sms_insufficient_credit", {
    steps: () => [
        {
            content: "Focus the phone number",
            trigger: ".o_form_view .o_field_widget[name=phone] input",
            run: "click",
        },
        {
            content: "Click the SMS button",
            trigger: ".o_form_view .o_field_widget[name=phone] .o_field_phone_sms",
            run: "click",
        },
        {
            content: "Type a message",
            trigger: ".modal .o_field_widget[name=body] textarea",
            run: "edit Not enough credits for this one",
        },
        {
            content:
                "Before sending, the composer warns that credits are short, with a link to buy some",
            trigger:
                ".modal .o_iap_credits_sms_short:contains(Not enough credits) a.o_iap_credits_sms_buy[href*='/iap_credits/buy/']:contains(Buy credits)",
        },
        {
            content: "Send",
            trigger: ".modal-footer button[name=action_send_sms]:enabled",
            run: "click",
        },
        {
            content: "Odoo says credits are short, with a link to buy some",
            trigger:
                ".o_notification:contains(Not enough SMS credits) a[href]:contains(Buy credits)",
        },
        {
            content: "The chatter shows the failed SMS: open its notification",
            trigger:
                ".o-mail-Message:contains(Not enough credits for this one) .o-mail-Message-notification .fa-mobile",
            run: "click",
        },
        {
            content:
                "The stock failure notification names the failure and links to the Buy Credit page",
            trigger:
                ".o-mail-MessageNotificationPopover:contains(Insufficient Credit) a.o_iap_credits_buy_sms[href]",
        },
    ],
});
