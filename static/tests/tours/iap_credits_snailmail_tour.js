/** Open a customer invoice, Send & Print by Post, see the price; then the Post Outbox shows the letter posted. */
import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("iap_credits_snailmail_send_by_post", {
    steps: () => [
        {
            content: "Open Send & Print on the posted invoice",
            trigger:
                ".o_form_view .o_statusbar_buttons button[name=action_invoice_sent]:visible",
            run: "click",
        },
        {
            content: "The wizard offers sending by Post",
            trigger: ".modal .o-checkbox:contains(by Post) input",
            run: "click",
        },
        {
            content: "by Post is ticked; untick by Email if it is",
            trigger: ".modal .o-checkbox:contains(by Post) input:checked",
            run() {
                const email = [...document.querySelectorAll(".modal .o-checkbox")].find(
                    (box) => box.textContent.includes("by Email")
                );
                if (email && email.querySelector("input").checked) {
                    email.querySelector("input").click();
                }
            },
        },
        {
            // The test gives Belgium a rate: 1.5 stamps a letter, 0.25 per page in colour.
            content:
                "Before sending, the wizard shows the estimated price of the letter and the credits available",
            trigger:
                ".modal div[name=iap_credits_snailmail_price]:contains(By Post: about 1.75):contains(Available: 10.00)",
        },
        {
            content: "Enough credits: an information, not a warning",
            trigger: ".modal .alert-info div[name=iap_credits_snailmail_price]",
        },
        {
            content: "Send",
            trigger: ".modal-footer button[name=action_send_and_print]:enabled",
            run: "click",
        },
        {
            content: "The chatter shows the letter, queued for the post",
            trigger: ".o-mail-Message:contains(Letter sent by post with Snailmail)",
        },
        {
            content: "The invoice is marked sent; back to the invoices",
            trigger: ".o_form_view .ribbon:contains(Sent)",
            run() {
                document.querySelector(".o_breadcrumb a").click();
            },
        },
        {
            content: "The list of invoices",
            trigger: ".o_list_view .o_data_row",
        },
    ],
});

registry.category("web_tour.tours").add("iap_credits_snailmail_post_outbox", {
    steps: () => [
        {
            content:
                "The Post Outbox lists the invoice's letter to Alice Post, posted: open it",
            trigger:
                ".o_list_view .o_data_row:contains(Alice Post):contains(Posted) td[name=document_name]",
            run: "click",
        },
        {
            content: "Its form shows the price in credits and the PDF posted",
            trigger: ".o_form_view .o_field_widget[name=credits]:not(:contains(0.00))",
        },
        {
            content: "Its price, the one the wizard showed",
            trigger: ".o_form_view .o_field_widget[name=price]:contains(1.75)",
        },
        {
            content: "The PDF that was posted is there",
            trigger: ".o_form_view .o_field_widget[name=pdf]:contains(.pdf)",
        },
        {
            content: "The provider is the sandbox",
            trigger:
                ".o_form_view .o_field_widget[name=gateway_id]:contains(Test sandbox)",
        },
    ],
});
