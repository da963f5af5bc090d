-- Idempotency keys: a client retrying a write after a lost reply sends the
-- same key, and the server answers from here instead of writing again.
-- request_sha is SHA-256 of the request as the server read it (without its
-- tag), so the same key with a different request is refused.
CREATE TABLE request_keys (
    user_name     text NOT NULL,
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 128),
    request_sha   bytea NOT NULL CHECK (length(request_sha) = 32),
    annotation_id uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_name, key)
);
CREATE INDEX request_keys_created ON request_keys (created_at);

-- Records the keys of a group's writes. Called in the same statement as
-- gloss_apply_batch, so a key is stored exactly when its write commits.
CREATE FUNCTION gloss_record_keys(k_user text[], k_key text[], k_sha bytea[], k_annotation uuid[]) RETURNS integer
LANGUAGE sql AS $$
    WITH stored AS (
        INSERT INTO request_keys (user_name, key, request_sha, annotation_id)
        SELECT * FROM unnest(k_user, k_key, k_sha, k_annotation)
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer FROM stored
$$;
