-- Neutralized copies never deliver SMS: blank the gateways' secrets.
UPDATE iap_sms_gateway
   SET twilio_auth_token = NULL,
       http_auth_value = NULL,
       http_callback_token = NULL;

-- Document digitization: a neutralized copy never sends documents to the production
-- extraction API, nor keeps its key; it reads them with the local Tesseract gateway.
UPDATE iap_account
   SET digitization_http_api_key = NULL,
       digitization_gateway = 'tesseract'
 WHERE digitization_gateway = 'http';
