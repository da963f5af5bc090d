-- Gloss schema, version 4: document ids scoped by their project, operations and
-- states that name their document's project (encoding version 2), idempotency
-- keys that keep the first answer, and a counter of access changes so that
-- open sessions notice revoked tokens and changed roles.

-- Document ids are unique within a project: two projects may each hold an
-- `article`, and nothing answers differently for another project's ids.
ALTER TABLE documents DROP CONSTRAINT documents_pkey;
ALTER TABLE documents ADD PRIMARY KEY (project_id, id);
DROP INDEX documents_project;
-- Annotations now carry their project themselves (from the create operation).
DROP TRIGGER documents_set_annotation_project ON documents;
DROP FUNCTION gloss_document_stored();
DROP INDEX annotations_document;
CREATE INDEX annotations_document ON annotations (project_id, document_id, span_start);

-- Encoding version 2 appends the project to create operations (after the tags)
-- and to annotation states that have an origin (after the update time). Until
-- this version a document id named one document across projects, so each
-- annotation's project is its document's.
CREATE FUNCTION gloss_v2_string(value text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    bytes bytea := convert_to(value, 'UTF8');
    remaining integer := octet_length(convert_to(value, 'UTF8'));
    prefix bytea := ''::bytea;
BEGIN
    WHILE remaining >= 128 LOOP
        prefix := prefix || set_byte('\x00'::bytea, 0, remaining % 128 + 128);
        remaining := remaining / 128;
    END LOOP;
    RETURN prefix || set_byte('\x00'::bytea, 0, remaining) || bytes;
END
$$;

UPDATE annotations a SET project_id = d.project_id
FROM documents d WHERE a.project_id IS NULL AND a.document_id IS NOT NULL AND d.id = a.document_id;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM annotations WHERE document_id IS NOT NULL AND project_id IS NULL) THEN
        RAISE EXCEPTION 'some annotations name a document that is not stored, so their project is unknown; store those documents, then migrate again';
    END IF;
END
$$;

UPDATE operations o SET body = '\x02'::bytea || substring(o.body FROM 2) || gloss_v2_string(a.project_id)
FROM annotations a
WHERE o.kind = 'create' AND get_byte(o.body, 0) = 1 AND a.id = o.annotation_id;
UPDATE operations SET body = '\x02'::bytea || substring(body FROM 2)
WHERE kind <> 'create' AND get_byte(body, 0) = 1;
UPDATE annotations SET state = '\x02'::bytea || substring(state FROM 2) || gloss_v2_string(project_id)
WHERE get_byte(state, 0) = 1 AND get_byte(state, 17) = 1;
UPDATE annotations SET state = '\x02'::bytea || substring(state FROM 2)
WHERE get_byte(state, 0) = 1 AND get_byte(state, 17) = 0;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM operations WHERE get_byte(body, 0) <> 2) OR EXISTS (SELECT 1 FROM annotations WHERE get_byte(state, 0) <> 2) THEN
        RAISE EXCEPTION 'some operations or states could not be upgraded to encoding version 2';
    END IF;
END
$$;
DROP FUNCTION gloss_v2_string(text);

-- gloss_apply_batch as in version 2, with the annotations' projects passed in
-- (a_project) instead of looked up from their documents.
DROP FUNCTION gloss_apply_batch(
    text[], bigint[], bigint[], uuid[], text[], bytea[], uuid[], bigint[], text[], boolean[], text[], bigint[], bigint[], text[],
    text[], text[], text[], integer[], integer[], text[], text[], boolean[], boolean[], boolean[], bytea[]
);
CREATE FUNCTION gloss_apply_batch(
    op_origin text[], op_counter bigint[], op_hlc bigint[], op_annotation uuid[], op_kind text[], op_body bytea[],
    a_id uuid[], a_expected bigint[], a_project text[], a_document text[], a_created boolean[], a_creator text[],
    a_created_hlc bigint[], a_updated_hlc bigint[], a_last_author text[], a_label text[], a_note text[],
    a_status text[], a_span_start integer[], a_span_end integer[], a_quote text[], a_tags text[],
    a_deleted boolean[], a_delete_conflict boolean[], a_conflicted boolean[], a_state bytea[]
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    stored integer;
    updated integer;
    inserted integer;
    origin_id text;
    covered bigint;
BEGIN
    -- Held shared by every batch; a writer that keeps losing the version race
    -- takes it exclusively to read and write without interference.
    PERFORM pg_advisory_xact_lock_shared(7452454025038886770);

    INSERT INTO operations (origin, counter, hlc, annotation_id, kind, body)
    SELECT * FROM unnest(op_origin, op_counter, op_hlc, op_annotation, op_kind, op_body)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS stored = ROW_COUNT;

    -- A dot names one operation forever. A different operation under a stored
    -- dot means the writer's counter is behind (its earlier commit outlived a
    -- time-out): refuse, so it rereads its counter and retries.
    IF stored < coalesce(array_length(op_origin, 1), 0) AND EXISTS (
        SELECT 1 FROM unnest(op_origin, op_counter, op_body) AS u(origin, counter, body)
        JOIN operations o ON o.origin = u.origin AND o.counter = u.counter
        WHERE o.body <> u.body
    ) THEN
        RAISE EXCEPTION 'an operation with the same dot but different content is already stored; reread counters and retry'
            USING ERRCODE = 'GL410';
    END IF;

    updated := 0;
    IF EXISTS (SELECT 1 FROM unnest(a_expected) AS e WHERE e > 0) THEN
        UPDATE annotations a SET
            version = a.version + 1, change_seq = nextval('annotation_changes'),
            document_id = nullif(u.document_id, ''), project_id = nullif(u.project_id, ''),
            created = u.created, creator = nullif(u.creator, ''), created_hlc = nullif(u.created_hlc, 0),
            updated_hlc = u.updated_hlc, last_author = nullif(u.last_author, ''), label = u.label, note = u.note,
            status = nullif(u.status, ''), span_start = nullif(u.span_start, -1), span_end = nullif(u.span_end, -1),
            quote = u.quote,
            tags = string_to_array(u.tags, ','), deleted = u.deleted, delete_conflict = u.delete_conflict,
            conflicted = u.conflicted, state = u.state
        FROM unnest(a_id, a_expected, a_project, a_document, a_created, a_creator, a_created_hlc, a_updated_hlc, a_last_author,
                    a_label, a_note, a_status, a_span_start, a_span_end, a_quote, a_tags, a_deleted, a_delete_conflict,
                    a_conflicted, a_state)
            AS u(id, expected, project_id, document_id, created, creator, created_hlc, updated_hlc, last_author, label, note, status,
                 span_start, span_end, quote, tags, deleted, delete_conflict, conflicted, state)
        WHERE a.id = u.id AND u.expected > 0 AND a.version = u.expected;
        GET DIAGNOSTICS updated = ROW_COUNT;
    END IF;

    -- New rows are rare once annotations exist: skip the insert (and its unnest
    -- of every column) unless the batch has one.
    inserted := 0;
    IF 0 = ANY(a_expected) THEN
        INSERT INTO annotations (id, version, change_seq, document_id, project_id, created, creator, created_hlc,
                                 updated_hlc, last_author, label, note, status, span_start, span_end, quote, tags,
                                 deleted, delete_conflict, conflicted, state)
        SELECT u.id, 1, nextval('annotation_changes'), nullif(u.document_id, ''), nullif(u.project_id, ''),
               u.created, nullif(u.creator, ''), nullif(u.created_hlc, 0), u.updated_hlc, nullif(u.last_author, ''),
               u.label, u.note, nullif(u.status, ''), nullif(u.span_start, -1), nullif(u.span_end, -1),
               u.quote, string_to_array(u.tags, ','), u.deleted, u.delete_conflict,
               u.conflicted, u.state
        FROM unnest(a_id, a_expected, a_project, a_document, a_created, a_creator, a_created_hlc, a_updated_hlc, a_last_author,
                    a_label, a_note, a_status, a_span_start, a_span_end, a_quote, a_tags, a_deleted, a_delete_conflict,
                    a_conflicted, a_state)
            AS u(id, expected, project_id, document_id, created, creator, created_hlc, updated_hlc, last_author, label, note, status,
                 span_start, span_end, quote, tags, deleted, delete_conflict, conflicted, state)
        WHERE u.expected = 0
        ON CONFLICT (id) DO NOTHING;
        GET DIAGNOSTICS inserted = ROW_COUNT;
    END IF;

    IF updated + inserted <> coalesce(array_length(a_id, 1), 0) THEN
        RAISE EXCEPTION 'an annotation in this batch was changed by another writer; reload and retry'
            USING ERRCODE = 'GL409';
    END IF;

    FOR origin_id IN SELECT DISTINCT o FROM unnest(op_origin) AS o ORDER BY o LOOP
        INSERT INTO version_vector (origin, counter) VALUES (origin_id, 0) ON CONFLICT DO NOTHING;
        SELECT v.counter INTO covered FROM version_vector v WHERE v.origin = origin_id FOR UPDATE;
        UPDATE version_vector v SET counter = run.top
        FROM (SELECT max(r.counter) AS top
              FROM (SELECT o.counter, row_number() OVER (ORDER BY o.counter) AS rn
                    FROM operations o WHERE o.origin = origin_id AND o.counter > covered) r
              WHERE r.counter = covered + r.rn) run
        WHERE v.origin = origin_id AND run.top IS NOT NULL;
    END LOOP;
    RETURN stored;
END
$$;


-- An idempotency key keeps the first answer's results (`start=… end=… quote=… ops=…`),
-- so a replay answers with the same fields.
ALTER TABLE request_keys ADD COLUMN reply text NOT NULL DEFAULT '';
DROP FUNCTION gloss_record_keys(text[], text[], bytea[], uuid[]);
CREATE FUNCTION gloss_record_keys(k_user text[], k_key text[], k_sha bytea[], k_annotation uuid[], k_reply text[]) RETURNS integer
LANGUAGE sql AS $$
    WITH stored AS (
        INSERT INTO request_keys (user_name, key, request_sha, annotation_id, reply)
        SELECT * FROM unnest(k_user, k_key, k_sha, k_annotation, k_reply)
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer FROM stored
$$;

-- Every change that can take access away (a token revoked or deleted, a user
-- disabled, renamed or deleted, a role granted, changed or removed) advances
-- this sequence; each glossd polls it and rechecks its open sessions when it moves.
CREATE SEQUENCE access_changes;
CREATE FUNCTION gloss_access_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('access_changes');
    RETURN NULL;
END
$$;
CREATE TRIGGER tokens_access_changed AFTER UPDATE OF revoked_at OR DELETE ON tokens
    FOR EACH STATEMENT EXECUTE FUNCTION gloss_access_changed();
CREATE TRIGGER users_access_changed AFTER UPDATE OF disabled_at, name OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION gloss_access_changed();
CREATE TRIGGER roles_access_changed AFTER INSERT OR UPDATE OR DELETE ON roles
    FOR EACH STATEMENT EXECUTE FUNCTION gloss_access_changed();
