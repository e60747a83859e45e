/** @odoo-module **/
// Part of iap_credits. See LICENSE file for full copyright and licensing details.
import {registry} from "@web/core/registry";

// A user opens the demo scanned bill and clicks Digitize: the bill is queued; the scheduled
// digitization reads it meanwhile, and the open form shows the result without a reload.
registry.category("web_tour.tours").add("iap_credits_digitize_tour", {
    steps: () => [
        {
            content: "Mark this page: a reload would lose the mark",
            trigger: ".o_form_view .o_form_statusbar button[name='action_digitize']",
            run() {
                window.iapCreditsDigitizeTourPage = true;
            },
        },
        {
            content: "Digitize the scanned bill",
            trigger: ".o_form_view .o_form_statusbar button[name='action_digitize']",
            run: "click",
        },
        {
            content: "The bill says it is queued for digitization",
            trigger: ".o_form_view .alert-info:contains(queued for digitization)",
        },
        {
            content: "The Digitize button is gone while queued",
            trigger:
                ".o_form_view .o_form_statusbar:not(:has(button[name='action_digitize']))",
        },
        // The note tells the test that the queued form is displayed: only then does the test
        // run the scheduled digitization (the browser and the queue share the test cursor).
        {
            content: "Log a note while waiting",
            trigger: ".o-mail-Chatter-topbar button.o-mail-Chatter-logNote",
            run: "click",
        },
        {
            content: "Write the note",
            trigger: ".o-mail-Composer-input",
            run: "edit Waiting for the digitization",
        },
        {
            content: "Log it",
            trigger: ".o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The note is logged",
            trigger: ".o-mail-Message:contains(Waiting for the digitization)",
        },
        {
            content: "Once the queue has read it, the form shows the bill number read",
            trigger:
                ".o_form_view .o_field_widget[name='ref'] input:value(KOS-2025-0117)",
            // The document is read by OCR in the background: allow for its time.
            timeout: 60000,
        },
        {
            content: "The state says Done, the queued notice is gone",
            trigger:
                ".o_form_view:not(:has(.alert-info:contains(queued for digitization))) .o_field_widget[name='digitization_state']:contains(Done)",
        },
        {
            content: "The vendor read is set",
            trigger:
                ".o_form_view .o_field_widget[name='partner_id'] input:value(Kiwi Office Supplies Ltd)",
        },
        {
            content: "The chatter says the document was digitized",
            trigger: ".o-mail-Message:contains(Document digitized)",
        },
        {
            content: "No Digitize button once the document is read",
            trigger:
                ".o_form_view .o_form_statusbar:not(:has(button[name='action_digitize']))",
        },
        {
            content: "All of it without reloading the page",
            trigger: ".o_form_view",
            run() {
                if (!window.iapCreditsDigitizeTourPage) {
                    throw new Error(
                        "The page was reloaded: the form was not updated in place."
                    );
                }
            },
        },
    ],
});
