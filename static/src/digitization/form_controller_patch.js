/**
 * The digitization queue reads documents in the background: once it is done with a record
 * (`iap.digitization.mixin._digitization_notify`), a form showing that record reloads it, so
 * the filled fields, the new state, the chatter message appear and the Digitize button goes
 * without the user reloading the page.
 */
import {onWillUnmount} from "@odoo/owl";
import {patch} from "@web/core/utils/patch";
import {FormController} from "@web/views/form/form_controller";

// Sent by iap.digitization.mixin once the queue has read documents: {model, ids}.
export const DIGITIZATION_NOTIFICATION = "iap_credits/digitization";

patch(FormController.prototype, {
    setup() {
        super.setup(...arguments);
        const busService = this.env.services.bus_service;
        if (!busService) {
            return;
        }
        const onDigitized = async ({model, ids}) => {
            const root = this.model.root;
            if (!root || root.resModel !== model || !ids.includes(root.resId)) {
                return;
            }
            // What the user is typing is kept: their next save shows the filled fields.
            if (await root.isDirty()) {
                return;
            }
            await this.model.load();
        };
        busService.subscribe(DIGITIZATION_NOTIFICATION, onDigitized);
        onWillUnmount(() =>
            busService.unsubscribe(DIGITIZATION_NOTIFICATION, onDigitized)
        );
    },
});
