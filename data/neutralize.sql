-- Neutralized copies never deliver SMS: blank the gateways' secrets.
UPDATE iap_sms_gateway
   SET twilio_auth_token = NULL,
       http_auth_value = NULL,
       http_callback_token = NULL;
