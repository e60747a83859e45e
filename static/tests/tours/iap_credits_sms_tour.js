/** Open a contact, click the SMS button next to its phone, type, send: the chatter shows the SMS. */
import {containing, tourTexts} from "@iap_credits/../tests/tours/tour_texts";
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

/**
 * A contact's SMS composer when the credits are short: before anything is sent it
 * shows the price, then the shortage in the warning colour with a link to buy credits.
 *
 * @param {Object} texts the texts of the user's language (tests/common_tours.py)
 */
function composerShortageSteps(texts) {
    return [
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
            run: `edit ${texts.body}`,
        },
        {
            content:
                "The composer tells the price in credits and the credits available",
            trigger: `.modal .o_iap_credits_sms_estimate${containing(...texts.estimate)}`,
        },
        {
            content:
                "Before sending, the composer warns that credits are short, in the warning colour",
            trigger: `.modal .o_iap_credits_sms_short.alert-warning${containing(...texts.shortage)}`,
        },
        {
            content: "... with a link to buy credits",
            trigger: `.modal .o_iap_credits_sms_short a.o_iap_credits_sms_buy[href*='/iap_credits/buy/']${containing(texts.buy_credits)}`,
        },
    ];
}

registry.category("web_tour.tours").add("iap_credits_sms_insufficient_credit", {
    steps: () => {
        const texts = tourTexts();
        return [
            ...composerShortageSteps(texts),
            {
                content: "Send anyway",
                trigger: ".modal-footer button[name=action_send_sms]:enabled",
                run: "click",
            },
            {
                content: "Odoo says credits are short, with a link to buy some",
                trigger: `.o_notification${containing(texts.notification_title)} a[href]${containing(texts.buy_credits)}`,
            },
            {
                content: "The chatter shows the failed SMS: open its notification",
                trigger: `.o-mail-Message${containing(texts.body)} .o-mail-Message-notification .fa-mobile`,
                run: "click",
            },
            {
                content:
                    "The stock failure notification names the failure and links to the Buy Credit page",
                trigger: `.o-mail-MessageNotificationPopover${containing(texts.failure)} a.o_iap_credits_buy_sms[href]${containing(texts.buy_credits)}`,
            },
        ];
    },
});

/** The warning's Buy credits link opens the page of the packs, in the user's language. */
registry.category("web_tour.tours").add("iap_credits_sms_shortage_buy_link", {
    steps: () => {
        const texts = tourTexts();
        return [
            ...composerShortageSteps(texts),
            {
                // The link opens a new tab (target=_blank), which a tour cannot follow: open its address here.
                content: "Follow the Buy credits link",
                trigger: ".modal a.o_iap_credits_sms_buy",
                run() {
                    window.location.assign(this.anchor.href);
                },
                expectUnloadPage: true,
            },
            {
                content: "The page of the packs shows the credits available",
                trigger: `.o_iap_credits_packs_page .o_iap_credits_balance${containing(texts.balance)}`,
            },
            {
                content: "... under its label, in the user's language",
                trigger: `.o_iap_credits_packs_page${containing(texts.available_credits)}`,
            },
            {
                content: "... and the packs, each with its Buy button",
                trigger: `.o_iap_credits_pack${containing(texts.pack)} .o_iap_credits_buy_pack${containing(texts.buy)}`,
            },
        ];
    },
});
