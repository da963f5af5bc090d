-- Gloss schema, version 1: identity, access, documents, the operation log,
-- the materialized annotation state and version vectors.
-- Applied by `glossd migrate` (and at start-up) inside one transaction.

-- The replica ids of the glossd processes that write to this database, with
-- when each last started. Two running processes must not share an id (a
-- reused dot is refused by gloss_apply_batch with SQLSTATE GL410).
CREATE TABLE replicas (
    replica_id  text PRIMARY KEY CHECK (replica_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_started_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE projects (
    id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    title       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);

-- Bearer tokens, stored only as SHA-256 hashes; the token itself is shown once.
CREATE TABLE tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    label       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at  timestamptz
);

CREATE TABLE roles (
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id  text NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('reader', 'analyst', 'reviewer', 'admin')),
    PRIMARY KEY (user_id, project_id)
);

-- Documents never change; a corrected text is a new document.
CREATE TABLE documents (
    id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    project_id  text NOT NULL REFERENCES projects(id),
    title       text NOT NULL,
    body        text NOT NULL,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    code_points integer NOT NULL CHECK (code_points >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_project ON documents (project_id, id);

-- The operation log: every operation exactly once, keyed by its dot.
-- body is the canonical encoding from GlossCore.
CREATE TABLE operations (
    origin        text NOT NULL,
    counter       bigint NOT NULL CHECK (counter > 0),
    hlc           bigint NOT NULL,
    annotation_id uuid NOT NULL,
    kind          text NOT NULL,
    body          bytea NOT NULL,
    stored_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (origin, counter)
);
CREATE INDEX operations_annotation ON operations (annotation_id);

-- For each origin replica, the counter up to which every operation is stored.
CREATE TABLE version_vector (
    origin      text PRIMARY KEY,
    counter     bigint NOT NULL CHECK (counter >= 0)
);

-- Every change to the materialized state takes the next number, so readers
-- can follow changes (including deletions) with a cursor.
CREATE SEQUENCE annotation_changes;

-- The merged state of each annotation (state is GlossCore's canonical
-- encoding) with queryable columns derived from it. version grows with every
-- write and guards concurrent writers from different processes.
CREATE TABLE annotations (
    id              uuid PRIMARY KEY,
    version         bigint NOT NULL,
    change_seq      bigint NOT NULL,
    document_id     text,
    project_id      text,
    created         boolean NOT NULL,
    creator         text,
    created_hlc     bigint,
    updated_hlc     bigint NOT NULL,
    last_author     text,
    label           text,
    note            text,
    status          text CHECK (status IN ('open', 'accepted', 'rejected')),
    span_start      integer,
    span_end        integer,
    quote           text,
    tags            text[] NOT NULL DEFAULT '{}',
    deleted         boolean NOT NULL DEFAULT false,
    delete_conflict boolean NOT NULL DEFAULT false,
    conflicted      boolean NOT NULL DEFAULT false,
    state           bytea NOT NULL
);
-- Every write updates a row's index entries, so indexes are few: a document's
-- annotations, a project's annotations in change order (listings and the
-- incremental feed filter label, author and status within it), and the global
-- change order.
CREATE INDEX annotations_document ON annotations (document_id, span_start);
CREATE INDEX annotations_project_changes ON annotations (project_id, change_seq);
CREATE UNIQUE INDEX annotations_changes ON annotations (change_seq);
