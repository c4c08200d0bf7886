-- A copied database must never talk to a live store or org: archive every backend and
-- forget its webhook secrets, so incoming webhooks are refused and no job calls out.
UPDATE retail_backend
   SET active = false,
       webhook_secret = NULL,
       webhook_secret_previous = NULL;
