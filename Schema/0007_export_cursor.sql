-- Gloss schema, version 7: a gap-free cursor for incremental exports.
--
-- change_seq is taken from a sequence before commit, so once several glossd
-- processes share this database a smaller number can commit after a larger
-- one, and a reader that remembered "everything up to N" would skip it. Each
-- annotation row instead records the transaction that last changed it; an
-- export remembers the snapshot it read (pg_current_snapshot()), and the next
-- one returns exactly the rows whose last change that snapshot did not see
-- (pg_visible_in_snapshot), whatever order transactions committed in. Every
-- path that changes a row (group commit, COPY groups from peers, a document
-- arriving after its annotations) sets it: inserts by the default, updates by
-- the trigger.

ALTER TABLE annotations ADD COLUMN change_xid xid8;
-- Rows changed before this version have none: every snapshot has seen them.
ALTER TABLE annotations ALTER COLUMN change_xid SET DEFAULT pg_current_xact_id();

CREATE FUNCTION gloss_note_change_xid() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_xid := pg_current_xact_id();
    RETURN NEW;
END
$$;
CREATE TRIGGER annotations_change_xid BEFORE UPDATE ON annotations
    FOR EACH ROW EXECUTE FUNCTION gloss_note_change_xid();

CREATE INDEX annotations_change_xid ON annotations (change_xid);

-- Names this database in export cursors, so a cursor from another database is
-- refused instead of silently answered.
ALTER TABLE site ADD COLUMN export_token uuid NOT NULL DEFAULT gen_random_uuid();
