-- gloss_apply_batch: stores a batch of operations and the merged annotation
-- states computed from them, in one statement (so one round trip and one
-- commit for a whole group of writers).
--
-- Operations already stored are skipped (applying an operation is idempotent,
-- so the states are right either way); a different operation under a stored
-- dot fails the batch with SQLSTATE GL410. Each annotation row is written only if
-- its version is still the one the caller merged from (expected = 0: a new
-- row); otherwise the whole batch fails with SQLSTATE GL409 and nothing is
-- written, and the caller reloads and retries. Finally the version vector of
-- every origin in the batch advances over every contiguous stored counter.
-- Absent values arrive as '' (text), 0 (timestamps) or -1 (offsets) and are
-- stored as NULL. Returns the number of operations newly stored.
CREATE FUNCTION gloss_apply_batch(
    op_origin text[], op_counter bigint[], op_hlc bigint[], op_annotation uuid[], op_kind text[], op_body bytea[],
    a_id uuid[], a_expected bigint[], a_document text[], a_created boolean[], a_creator text[],
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
            document_id = nullif(u.document_id, ''),
            project_id = coalesce(a.project_id, (SELECT d.project_id FROM documents d WHERE d.id = u.document_id)),
            created = u.created, creator = nullif(u.creator, ''), created_hlc = nullif(u.created_hlc, 0),
            updated_hlc = u.updated_hlc, last_author = nullif(u.last_author, ''), label = u.label, note = u.note,
            status = nullif(u.status, ''), span_start = nullif(u.span_start, -1), span_end = nullif(u.span_end, -1),
            quote = u.quote,
            tags = string_to_array(u.tags, ','), deleted = u.deleted, delete_conflict = u.delete_conflict,
            conflicted = u.conflicted, state = u.state
        FROM unnest(a_id, a_expected, a_document, a_created, a_creator, a_created_hlc, a_updated_hlc, a_last_author,
                    a_label, a_note, a_status, a_span_start, a_span_end, a_quote, a_tags, a_deleted, a_delete_conflict,
                    a_conflicted, a_state)
            AS u(id, expected, document_id, created, creator, created_hlc, updated_hlc, last_author, label, note, status,
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
        SELECT u.id, 1, nextval('annotation_changes'), nullif(u.document_id, ''),
               (SELECT d.project_id FROM documents d WHERE d.id = u.document_id),
               u.created, nullif(u.creator, ''), nullif(u.created_hlc, 0), u.updated_hlc, nullif(u.last_author, ''),
               u.label, u.note, nullif(u.status, ''), nullif(u.span_start, -1), nullif(u.span_end, -1),
               u.quote, string_to_array(u.tags, ','), u.deleted, u.delete_conflict,
               u.conflicted, u.state
        FROM unnest(a_id, a_expected, a_document, a_created, a_creator, a_created_hlc, a_updated_hlc, a_last_author,
                    a_label, a_note, a_status, a_span_start, a_span_end, a_quote, a_tags, a_deleted, a_delete_conflict,
                    a_conflicted, a_state)
            AS u(id, expected, document_id, created, creator, created_hlc, updated_hlc, last_author, label, note, status,
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

-- Annotations whose operations arrived before their document get the
-- document's project as soon as the document is stored.
CREATE FUNCTION gloss_document_stored() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE annotations SET project_id = NEW.project_id WHERE document_id = NEW.id AND project_id IS NULL;
    RETURN NEW;
END
$$;

CREATE TRIGGER documents_set_annotation_project AFTER INSERT ON documents
    FOR EACH ROW EXECUTE FUNCTION gloss_document_stored();
