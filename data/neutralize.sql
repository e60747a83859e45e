-- A neutralized copy sends nothing outside this server.

-- SMS: every gateway becomes the sandbox, which keeps the SMS in the outbox and sends
-- none; the providers' URLs, account and secrets are blanked, so that switching a gateway
-- back sends nothing either until an administrator enters them again.
UPDATE iap_sms_gateway
   SET code = 'sandbox',
       http_url = NULL,
       http_auth_value = NULL,
       http_callback_token = NULL,
       twilio_account_sid = NULL,
       twilio_auth_token = NULL,
       twilio_api_url = NULL;

-- Document digitization: every account reads its documents with the local Tesseract
-- gateway, and forgets the extraction API's URL and key.
UPDATE iap_account
   SET digitization_gateway = 'tesseract',
       digitization_http_url = NULL,
       digitization_http_api_key = NULL
 WHERE digitization_gateway IS DISTINCT FROM 'tesseract'
    OR digitization_http_url IS NOT NULL
    OR digitization_http_api_key IS NOT NULL;

-- Partner autocomplete: every engine answers from the company directory of this database
-- (the sandbox), and forgets the providers' URLs: names, VAT numbers and domains typed on
-- the copy are sent nowhere.
UPDATE iap_autocomplete_engine
   SET code = 'sandbox',
       vies_url = NULL,
       gleif_url = NULL,
       website_url = NULL
 WHERE code IS DISTINCT FROM 'sandbox'
    OR vies_url IS NOT NULL
    OR gleif_url IS NOT NULL
    OR website_url IS NOT NULL;
-- Snail mail: every provider becomes the sandbox, which keeps the letters in the Post
-- Outbox and posts none; the providers' URLs, keys and secrets are blanked.
UPDATE iap_snailmail_gateway
   SET code = 'sandbox',
       http_url = NULL,
       http_auth_value = NULL,
       http_callback_token = NULL,
       postgrid_api_key = NULL,
       postgrid_api_url = NULL,
       postgrid_webhook_secret = NULL;
