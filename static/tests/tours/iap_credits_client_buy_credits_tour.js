import {registry} from "@web/core/registry";

/**
 * Server mode: a client database's user, not logged in here, opens the Buy Credit link of
 * the stock client (/iap/1/credit) → chooses a pack → pays with the demo provider → the
 * confirmation shows the new balance → Buy more credits leads back to the packs. The
 * Python test (tests/test_server_credit_tour.py) creates the client account (10 credits)
 * and the pack (100 + 50 bonus credits).
 */
registry.category("web_tour.tours").add("iap_credits_client_buy_credits", {
    steps: () => [
        {
            content: "The packs page names the client and shows its balance",
            trigger:
                ".o_iap_credits_client_page:contains('Tour Client Ltd') .o_iap_credits_balance:contains('10.00')",
        },
        {
            content: "Choose the tour pack",
            trigger:
                ".o_iap_credits_pack:contains('Tour Client Pack') .o_iap_credits_buy_pack",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The summary names the pack and its credits",
            trigger:
                ".o_iap_credits_checkout_page:contains('Tour Client Pack'):contains('150.00')",
        },
        {
            content: "Choose the demo provider",
            trigger: "input[name='o_payment_radio'][data-payment-method-code='demo']",
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
            trigger:
                ".o_iap_credits_purchase_done .o_iap_credits_new_balance:contains('160.00')",
            timeout: 30000,
        },
        {
            content: "Buy more credits",
            trigger: "a.o_iap_credits_buy_more",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the packs page, with the new balance",
            trigger:
                ".o_iap_credits_client_page .o_iap_credits_balance:contains('160.00')",
        },
    ],
});
