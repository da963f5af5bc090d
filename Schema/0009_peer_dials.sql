-- What became of the last dial to each peer address this site is configured
-- with (flags, GLOSS_PEERS or glossd peer add), so an address that never links
-- (unreachable, refused, another cluster) is shown with its reason, and a
-- down peer's last error follows its redials. An address has linked once a
-- peer_sites row names it. Rows of addresses no longer
-- configured are removed by the dialing glossd.
CREATE TABLE peer_dials (
    address          text PRIMARY KEY,
    last_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text NOT NULL DEFAULT ''
);
