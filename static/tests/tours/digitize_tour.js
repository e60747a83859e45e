/** @odoo-module **/
// Part of iap_credits. See LICENSE file for full copyright and licensing details.
import {registry} from "@web/core/registry";

// A user opens the demo scanned bill and clicks Digitize: the bill is queued.
registry.category("web_tour.tours").add("iap_credits_digitize_tour", {
    steps: () => [
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
    ],
});
