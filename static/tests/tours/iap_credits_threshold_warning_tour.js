// Part of iap_credits. See LICENSE file for full copyright and licensing details.
import {registry} from "@web/core/registry";

/**
 * An administrator opens a local IAP account, ticks "Receive threshold warning",
 * sees "Warning Threshold" and "Contact Email" appear, fills them in and saves.
 */
registry.category("web_tour.tours").add("iap_credits_threshold_warning", {
    steps: () => [
        {
            content: "The account form is open, the warning fields are hidden",
            trigger: ".o_form_view div[name=warning_enabled]:not(:has(input:checked))",
        },
        {
            trigger:
                ".o_form_view:not(:has(div[name=warning_threshold])):not(:has(div[name=warning_email]))",
        },
        {
            content: "Tick Receive threshold warning",
            trigger: "div[name=warning_enabled] input[type=checkbox]",
            run: "check",
        },
        {
            content: "Warning Threshold appears",
            trigger: ".o_form_view label:contains('Warning Threshold')",
        },
        {
            trigger: "div[name=warning_threshold] input",
            run: "edit 75",
        },
        {
            content: "Contact Email appears",
            trigger: ".o_form_view label:contains('Contact Email')",
        },
        {
            trigger: "div[name=warning_email] input",
            run: "edit billing@example.com",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_saved",
        },
    ],
});
