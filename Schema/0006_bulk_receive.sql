-- Gloss schema, version 6: what a bulk receive needs. A large batch from a peer
-- site is written with COPY into the operation log and then stored like any
-- other group (gloss_apply_batch with no operations of its own), in the same
-- transaction; this advances the version vector over what the COPY stored.

-- Advances the version vector of each origin in `origins` over every contiguous
-- stored counter (as gloss_apply_batch does for the operations it stores).
CREATE FUNCTION gloss_advance_vector(origins text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    origin_id text;
    covered bigint;
    stored bigint;
    top bigint;
BEGIN
    FOR origin_id IN SELECT DISTINCT o FROM unnest(origins) AS o ORDER BY o LOOP
        INSERT INTO version_vector (origin, counter) VALUES (origin_id, 0) ON CONFLICT DO NOTHING;
        SELECT v.counter INTO covered FROM version_vector v WHERE v.origin = origin_id FOR UPDATE;
        SELECT count(*), max(o.counter) INTO stored, top FROM operations o WHERE o.origin = origin_id AND o.counter > covered;
        IF stored > 0 AND top - covered <> stored THEN
            -- A gap: advance to the end of the first contiguous run only.
            SELECT max(r.counter) INTO top
            FROM (SELECT o.counter, o.counter - row_number() OVER (ORDER BY o.counter) AS shift
                  FROM operations o WHERE o.origin = origin_id AND o.counter > covered) r
            WHERE r.shift = covered;
        END IF;
        IF top IS NOT NULL THEN
            UPDATE version_vector SET counter = top WHERE origin = origin_id;
        END IF;
    END LOOP;
END
$$;

-- glossd refreshes the log's statistics as it grows (a catch-up outpaces
-- autovacuum); the planner needs the row count and the origins, not the shape
-- of the encoded bodies, so a small sample does (3,000 rows instead of 30,000).
ALTER TABLE operations ALTER COLUMN origin SET STATISTICS 10;
ALTER TABLE operations ALTER COLUMN counter SET STATISTICS 10;
ALTER TABLE operations ALTER COLUMN hlc SET STATISTICS 10;
ALTER TABLE operations ALTER COLUMN annotation_id SET STATISTICS 10;
ALTER TABLE operations ALTER COLUMN kind SET STATISTICS 10;
ALTER TABLE operations ALTER COLUMN body SET STATISTICS 0;
ALTER TABLE operations ALTER COLUMN stored_at SET STATISTICS 10;
