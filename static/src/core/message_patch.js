/**
 * A failed SMS for lack of credits: the stock notification popover of the chatter also
 * offers a link to buy credits (`iap.account.get_credits_url`). The URL is fetched when
 * the failure icon is clicked and kept on the message, which every popover variant
 * (mail's, snailmail's) receives.
 */
import {Message} from "@mail/core/common/message";
import {toRaw} from "@odoo/owl";
import {patch} from "@web/core/utils/patch";

patch(Message.prototype, {
    async onClickNotification(ev) {
        const message = toRaw(this.message);
        const short = message.notification_ids.some(
            (notification) =>
                notification.isFailure && notification.failure_type === "sms_credit"
        );
        if (short && !message.iapCreditsBuyUrl) {
            try {
                message.iapCreditsBuyUrl = await this.env.services.orm.call(
                    "iap.account",
                    "get_credits_url",
                    [],
                    {service_name: "sms"}
                );
            } catch {
                message.iapCreditsBuyUrl = false; // no access to the accounts: no link
            }
        }
        return super.onClickNotification(ev);
    },
});
