/** New company contact → type a name → pick a suggestion of the Sandbox directory → the contact is filled. */
import {registry} from "@web/core/registry";

const COMPANY = "Quillfeather Stationers Inc.";

registry.category("web_tour.tours").add("iap_credits_partner_autocomplete", {
    steps: () => [
        {
            content:
                "The new contact is a company: the stock autocomplete works on company names",
            trigger:
                ".o_form_view .o_field_widget[name=company_type] input[data-value=company]",
            run: "click",
        },
        {
            content: "Type the start of the company's name",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Quillfeather",
        },
        {
            content: "Pick the suggestion of the Sandbox directory",
            trigger: `.o-autocomplete--dropdown-item a:contains(${COMPANY})`,
            run: "click",
        },
        {
            content: "The address is filled",
            trigger:
                ".o_form_view .o_field_widget[name=street] input:value(77 Ink Lane)",
        },
        {
            content: "... and the city",
            trigger: ".o_form_view .o_field_widget[name=city] input:value(Fresno)",
        },
        {
            content: "... and the tax ID",
            trigger: ".o_form_view .o_field_widget[name=vat] input:value(US12-3456789)",
        },
        {
            content:
                "The widget saved the contact and posted the company card in the chatter",
            trigger: `.o-mail-Message .o_partner_autocomplete_enrich_info:contains(${COMPANY})`,
        },
    ],
});

registry.category("web_tour.tours").add("iap_credits_partner_autocomplete_no_credit", {
    steps: () => [
        {
            content: "The new contact is a company",
            trigger:
                ".o_form_view .o_field_widget[name=company_type] input[data-value=company]",
            run: "click",
        },
        {
            content: "Type the start of the company's name",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Quillfeather",
        },
        {
            content: "Searching is free: the suggestion shows",
            trigger: `.o-autocomplete--dropdown-item a:contains(${COMPANY})`,
            run: "click",
        },
        {
            content: "Enriching is not: the stock notification offers to buy credits",
            trigger:
                ".o_notification:contains(Not enough credits for Partner Autocomplete) a[href]:contains(Buy more credits)",
        },
        {
            content: "The widget saved the new contact",
            trigger:
                ".o_form_status_indicator:not(.o_form_status_indicator_new_record)",
        },
        {
            content: "Back to the contacts",
            trigger:
                ".o_breadcrumb .o_back_button a, .o_breadcrumb .breadcrumb-item a:contains(Contacts)",
            run: "click",
        },
        {
            content: "The contact is there, with the picked name",
            trigger: `.o_data_row:contains(${COMPANY}), .o_kanban_record:contains(${COMPANY})`,
        },
    ],
});
