-- Netra's store on PostgreSQL: the same tables as the embedded store (storesqlite), with
-- times as Unix nanoseconds (BIGINT) so that cursors and ordering are the same in both, and an
-- identity column where SQLite's rowid broke ties.
CREATE TABLE threads (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    title      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX threads_owner_created ON threads (owner, created_at DESC, id DESC);

CREATE TABLE runs (
    id            TEXT PRIMARY KEY,
    n             BIGINT GENERATED ALWAYS AS IDENTITY,
    owner         TEXT NOT NULL,
    thread_id     TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    agent         TEXT NOT NULL,
    tier          TEXT NOT NULL,
    role          TEXT NOT NULL,
    status        TEXT NOT NULL,
    input         TEXT NOT NULL,
    params        BYTEA,
    created_at    BIGINT NOT NULL,
    started_at    BIGINT,
    ended_at      BIGINT,
    output        BYTEA,
    error_code    TEXT,
    error_message TEXT
);
CREATE INDEX runs_owner_thread ON runs (owner, thread_id, created_at);
CREATE INDEX runs_owner_created ON runs (owner, created_at DESC, id DESC);
CREATE INDEX runs_active ON runs (status, created_at, n) WHERE status IN ('queued', 'running');

CREATE TABLE messages (
    id         TEXT PRIMARY KEY,
    n          BIGINT GENERATED ALWAYS AS IDENTITY,
    owner      TEXT NOT NULL,
    thread_id  TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    run_id     TEXT NOT NULL,
    role       TEXT NOT NULL,
    content    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_owner_thread ON messages (owner, thread_id, created_at, n);

-- No foreign key, as in the embedded store: a group commit holds events of many runs, and a
-- run deleted meanwhile must not fail the others'. DeleteThread removes a thread's events.
CREATE TABLE events (
    run_id TEXT NOT NULL,
    seq    BIGINT NOT NULL,
    owner  TEXT NOT NULL,
    type   TEXT NOT NULL,
    frame  BYTEA NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- Workload records in chunks (workload.EncodeChunk), invisible until their upload commits.
CREATE TABLE workload_chunks (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner     TEXT NOT NULL,
    upload    TEXT NOT NULL,
    committed BOOLEAN NOT NULL DEFAULT false,
    n         INTEGER NOT NULL,
    min_ts    BIGINT NOT NULL,
    max_ts    BIGINT NOT NULL,
    data      BYTEA NOT NULL,
    rollup    BYTEA
);
CREATE INDEX workload_chunks_owner ON workload_chunks (owner, committed, max_ts);
CREATE INDEX workload_chunks_upload ON workload_chunks (upload);

-- Uploads under way, so that a node starting up removes only what a stopped node left.
CREATE TABLE workload_staged (
    upload     TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    started_at BIGINT NOT NULL
);

CREATE TABLE workload_ids (
    owner TEXT NOT NULL,
    rid   TEXT NOT NULL,
    PRIMARY KEY (owner, rid)
);

-- The audit trail: append-only, one hash chain per user (package audit).
CREATE TABLE audit (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    at         BIGINT NOT NULL,
    action     TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    request_id TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    remote     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    UNIQUE (user_id, seq)
);
CREATE INDEX audit_at ON audit (at);

CREATE TABLE audit_anchors (
    user_id TEXT PRIMARY KEY,
    seq     BIGINT NOT NULL,
    hash    TEXT NOT NULL
);

CREATE TABLE audit_checkpoints (
    seq  BIGINT PRIMARY KEY,
    body BYTEA NOT NULL,
    sig  TEXT NOT NULL
);

CREATE TABLE ingest_keys (
    id           TEXT PRIMARY KEY,
    owner        TEXT NOT NULL,
    tier         TEXT NOT NULL,
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX ingest_keys_owner ON ingest_keys (owner, created_at);

CREATE TABLE model_usage (
    owner         TEXT NOT NULL,
    month         TEXT NOT NULL,
    model         TEXT NOT NULL,
    calls         BIGINT NOT NULL,
    input_tokens  BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cost_usd      DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (owner, month, model)
);
