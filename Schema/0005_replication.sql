-- Gloss schema, version 5: what site-to-site replication needs. Projects and
-- documents numbered in commit order (the catalog a link sends after a
-- cursor), the texts that lost a document-id clash, configured peers, each
-- peer's progress and health, and this site's incarnation.

-- Projects and documents take the next catalog number when stored. Inserts
-- hold a transaction lock while they number, so numbers commit in order and a
-- link that has sent everything up to N never misses a later N-1.
CREATE SEQUENCE catalog_changes;
ALTER TABLE projects ADD COLUMN catalog_seq bigint;
ALTER TABLE documents ADD COLUMN catalog_seq bigint;
UPDATE projects p SET catalog_seq = n.seq
FROM (SELECT id, nextval('catalog_changes') AS seq FROM (SELECT id FROM projects ORDER BY created_at, id) o) n WHERE p.id = n.id;
UPDATE documents d SET catalog_seq = n.seq
FROM (SELECT project_id, id, nextval('catalog_changes') AS seq FROM (SELECT project_id, id FROM documents ORDER BY created_at, project_id, id) o) n
WHERE d.project_id = n.project_id AND d.id = n.id;
ALTER TABLE projects ALTER COLUMN catalog_seq SET NOT NULL;
ALTER TABLE documents ALTER COLUMN catalog_seq SET NOT NULL;
CREATE UNIQUE INDEX projects_catalog ON projects (catalog_seq);
CREATE UNIQUE INDEX documents_catalog ON documents (catalog_seq);

CREATE FUNCTION gloss_number_catalog() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7452454025038886771);
    NEW.catalog_seq := nextval('catalog_changes');
    RETURN NEW;
END
$$;
CREATE TRIGGER projects_number BEFORE INSERT OR UPDATE OF title ON projects
    FOR EACH ROW EXECUTE FUNCTION gloss_number_catalog();
CREATE TRIGGER documents_number BEFORE INSERT OR UPDATE OF body ON documents
    FOR EACH ROW EXECUTE FUNCTION gloss_number_catalog();

-- Two sites that store different texts under one document id in one project
-- keep the text with the lower SHA-256 (hex) under the id, everywhere; the
-- other text is kept here, and both sites report the clash.
CREATE TABLE document_clashes (
    project_id  text NOT NULL,
    id          text NOT NULL,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    title       text NOT NULL,
    body        text NOT NULL,
    code_points integer NOT NULL,
    noticed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id, sha256)
);

-- Peers this site links to, by address (host:port), added with `glossd peer add`.
CREATE TABLE peers (
    address     text PRIMARY KEY CHECK (length(address) BETWEEN 3 AND 300),
    added_at    timestamptz NOT NULL DEFAULT now()
);

-- What this site knows of each peer site it has linked with, by the site name
-- its certificate carries: how far its catalog has been received (in the
-- peer's own catalog numbers, written with the documents it covers), its
-- last version vector, and the link's health for status displays.
CREATE TABLE peer_sites (
    site              text PRIMARY KEY,
    catalog_cursor    bigint NOT NULL DEFAULT 0,
    vector            text NOT NULL DEFAULT '',
    incarnation       bigint NOT NULL DEFAULT 0,
    replica_id        text NOT NULL DEFAULT '',
    address           text NOT NULL DEFAULT '',
    state             text NOT NULL DEFAULT 'new',
    last_contact_at   timestamptz,
    last_error        text NOT NULL DEFAULT '',
    operations_in     bigint NOT NULL DEFAULT 0,
    operations_out    bigint NOT NULL DEFAULT 0
);

-- The replica ids each peer site has greeted with: a replica id belongs to one
-- site, so another site greeting with it (a copied database) is refused.
CREATE TABLE peer_replicas (
    replica_id  text PRIMARY KEY,
    site        text NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now()
);

-- Idempotency keys also cover DOC-PUT, which writes no annotation.
ALTER TABLE request_keys ALTER COLUMN annotation_id DROP NOT NULL;

-- This site: its incarnation grows by one each time a glossd starts serving it.
CREATE TABLE site (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    incarnation bigint NOT NULL DEFAULT 0
);
INSERT INTO site DEFAULT VALUES;

-- Records what a batch from a peer site brought, in the same statement as
-- gloss_apply_batch stores its operations: the peer's catalog cursor never
-- runs ahead of what is committed.
CREATE FUNCTION gloss_record_peers(p_site text[], p_catalog bigint[], p_received bigint[]) RETURNS integer
LANGUAGE sql AS $$
    WITH stored AS (
        INSERT INTO peer_sites AS s (site, catalog_cursor, operations_in, last_contact_at)
        SELECT site, catalog, received, now() FROM unnest(p_site, p_catalog, p_received) AS u(site, catalog, received)
        ON CONFLICT (site) DO UPDATE SET
            catalog_cursor = greatest(s.catalog_cursor, excluded.catalog_cursor),
            operations_in = s.operations_in + excluded.operations_in,
            last_contact_at = now()
        RETURNING 1
    )
    SELECT count(*)::integer FROM stored
$$;

-- Stores a document received from a peer site and applies the clash rule:
-- under one id in one project, the text with the lower SHA-256 stays; the
-- other goes to document_clashes. Returns 'stored' (new here), 'same' (this
-- text was here), 'kept' (ours stays, theirs recorded as the clash) or
-- 'replaced' (theirs replaces ours, ours recorded as the clash).
CREATE FUNCTION gloss_receive_document(d_project text, d_id text, d_title text, d_body text, d_sha text, d_points integer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    current documents%ROWTYPE;
BEGIN
    INSERT INTO projects (id) VALUES (d_project) ON CONFLICT DO NOTHING;
    SELECT * INTO current FROM documents WHERE project_id = d_project AND id = d_id FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO documents (id, project_id, title, body, sha256, code_points)
        VALUES (d_id, d_project, d_title, d_body, d_sha, d_points) ON CONFLICT DO NOTHING;
        IF FOUND THEN
            RETURN 'stored';
        END IF;
        SELECT * INTO current FROM documents WHERE project_id = d_project AND id = d_id FOR UPDATE;
    END IF;
    IF current.sha256 = d_sha THEN
        RETURN 'same';
    END IF;
    IF d_sha < current.sha256 THEN
        INSERT INTO document_clashes (project_id, id, sha256, title, body, code_points)
        VALUES (d_project, d_id, current.sha256, current.title, current.body, current.code_points) ON CONFLICT DO NOTHING;
        UPDATE documents SET title = d_title, body = d_body, sha256 = d_sha, code_points = d_points
        WHERE project_id = d_project AND id = d_id;
        DELETE FROM document_clashes WHERE project_id = d_project AND id = d_id AND sha256 = d_sha;
        RETURN 'replaced';
    END IF;
    INSERT INTO document_clashes (project_id, id, sha256, title, body, code_points)
    VALUES (d_project, d_id, d_sha, d_title, d_body, d_points) ON CONFLICT DO NOTHING;
    RETURN 'kept';
END
$$;

-- DOC-PUT under an idempotency key, in one transaction: the key is taken first
-- (a concurrent request with the same key waits for it, then sees it), then the
-- document is stored. Returns 'stored', 'same' (this text was stored already),
-- 'replay' || the first answer, or 'reused' (the key holds another request); a
-- different text under the id raises GL411 and records nothing.
CREATE FUNCTION gloss_put_document_keyed(
    k_user text, k_key text, k_sha bytea, k_reply text,
    d_project text, d_id text, d_title text, d_body text, d_sha text, d_points integer
) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    earlier request_keys%ROWTYPE;
BEGIN
    INSERT INTO request_keys (user_name, key, request_sha, annotation_id, reply)
    VALUES (k_user, k_key, k_sha, NULL, k_reply) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        SELECT * INTO earlier FROM request_keys WHERE user_name = k_user AND key = k_key;
        IF earlier.request_sha = k_sha THEN
            RETURN 'replay ' || earlier.reply;
        END IF;
        RETURN 'reused';
    END IF;
    INSERT INTO projects (id) VALUES (d_project) ON CONFLICT DO NOTHING;
    INSERT INTO documents (id, project_id, title, body, sha256, code_points)
    VALUES (d_id, d_project, d_title, d_body, d_sha, d_points) ON CONFLICT (project_id, id) DO NOTHING;
    IF FOUND THEN
        RETURN 'stored';
    END IF;
    IF (SELECT sha256 FROM documents WHERE project_id = d_project AND id = d_id) = d_sha THEN
        RETURN 'same';
    END IF;
    RAISE EXCEPTION 'document % already exists in project % with a different text', d_id, d_project USING ERRCODE = 'GL411';
END
$$;
