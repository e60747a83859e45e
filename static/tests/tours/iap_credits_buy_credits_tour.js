import {containing, tourTexts} from "@iap_credits/../tests/tours/tour_texts";
import {registry} from "@web/core/registry";

/**
 * Settings → View My Services → account → Buy Credit → pack → pay with the demo
 * provider → the confirmation shows the new balance → back to the account, whose
 * available credits grew. The Python test creates the account (10 credits) and the
 * pack (100 + 50 bonus credits) it names, and gives the texts of the user's language
 * (tests/common_tours.py).
 */
registry.category("web_tour.tours").add("iap_credits_buy_credits", {
    steps: () => {
        const texts = tourTexts();
        return [
            {
                content: "Open the IAP services from the settings",
                trigger: "button[name='iap.iap_account_action']",
                run: "click",
            },
            {
                content: "Open the account",
                trigger:
                    ".o_list_view .o_data_row .o_data_cell:contains('Tour SMS account')",
                run: "click",
            },
            {
                content: "The account has 10 credits",
                trigger:
                    ".o_form_view .o_field_widget[name='credit_available']:contains('10.00')",
            },
            {
                content: "Buy Credit",
                trigger: ".o_form_view button[name='action_buy_credits']",
                run: "click",
                expectUnloadPage: true,
            },
            {
                content: "The packs page shows the balance, under its label",
                trigger: `.o_iap_credits_packs_page${containing(texts.available_credits)} .o_iap_credits_balance${containing(texts.balance_before)}`,
            },
            {
                content:
                    "The tour pack shows its credits and its bonus, in the service's unit",
                trigger: `.o_iap_credits_pack${containing("Tour Pack", ...texts.pack_credits)}`,
            },
            {
                content: "Choose the tour pack",
                trigger: `.o_iap_credits_pack:contains('Tour Pack') .o_iap_credits_buy_pack${containing(texts.buy)}`,
                run: "click",
                expectUnloadPage: true,
            },
            {
                content: "The summary names the pack and its credits",
                trigger: `.o_iap_credits_checkout_page${containing(texts.pack, "Tour Pack", texts.credits, "150.00")}`,
            },
            {
                content: "Choose the demo provider",
                trigger:
                    "input[name='o_payment_radio'][data-payment-method-code='demo']",
                run: "click",
            },
            {
                content: "Enter a demo card number",
                trigger: "input[name='customer_input']",
                run: "edit 4242424242424242",
            },
            {
                content: "Pay",
                trigger: "button[name='o_payment_submit_button']:enabled",
                run: "click",
                expectUnloadPage: true,
            },
            {
                content: "The purchase is confirmed with the new balance",
                trigger: `.o_iap_credits_purchase_done${containing(texts.thank_you, texts.credits_added)} .o_iap_credits_new_balance:contains('160.00')`,
                timeout: 30000,
            },
            {
                content: "Back to the account",
                trigger: `a.o_iap_credits_back_to_account${containing(texts.back_to_account)}`,
                run: "click",
                expectUnloadPage: true,
            },
            {
                content: "The account shows the new balance",
                trigger:
                    ".o_form_view .o_field_widget[name='credit_available']:contains('160.00')",
            },
            {
                content: "The ledger shows the purchase",
                trigger: `.o_form_view .o_field_widget[name='recent_transaction_ids'] .o_data_row${containing(texts.purchase_row)}`,
            },
        ];
    },
});
