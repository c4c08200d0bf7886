-- A copied database must never talk to a live store or org: archive every backend and
-- clear every credential column of every backend type. The columns are the fields only
-- managers may read, listed by retail.backend.init() whatever addon adds them, so that a
-- new credential field is cleared too.
UPDATE retail_backend
   SET active = false;

DO $$
DECLARE
    secret text;
BEGIN
    FOR secret IN
        SELECT unnest(string_to_array(value, ','))
          FROM ir_config_parameter
         WHERE key = 'retail_connector.credential_columns'
    LOOP
        IF EXISTS (
            SELECT 1
              FROM information_schema.columns
             WHERE table_name = 'retail_backend'
               AND column_name = secret
        ) THEN
            EXECUTE format('UPDATE retail_backend SET %I = NULL', secret);
        END IF;
    END LOOP;
END
$$;
