-- A site's record of how far it holds a peer's catalog counts that peer's
-- database's catalog; a second database presenting the same site's
-- certificate numbers its catalog differently. The cursor is kept with the
-- token of the database it counts (the peer's site.export_token), and a
-- greeting offers it only to that database: any other is sent its whole
-- catalog again (receiving a project or document twice changes nothing).
ALTER TABLE peer_sites ADD COLUMN catalog_database text NOT NULL DEFAULT '';

DROP FUNCTION gloss_record_peers(text[], bigint[], bigint[]);

CREATE FUNCTION gloss_record_peers(p_site text[], p_catalog bigint[], p_received bigint[], p_database text[]) RETURNS integer
LANGUAGE sql AS $$
    WITH stored AS (
        INSERT INTO peer_sites AS s (site, catalog_cursor, catalog_database, operations_in, last_contact_at)
        SELECT site, catalog, database, received, now()
        FROM unnest(p_site, p_catalog, p_received, p_database) AS u(site, catalog, received, database)
        ON CONFLICT (site) DO UPDATE SET
            catalog_cursor = CASE WHEN s.catalog_database = excluded.catalog_database
                THEN greatest(s.catalog_cursor, excluded.catalog_cursor) ELSE excluded.catalog_cursor END,
            catalog_database = excluded.catalog_database,
            operations_in = s.operations_in + excluded.operations_in,
            last_contact_at = now()
        RETURNING 1
    )
    SELECT count(*)::integer FROM stored
$$;
