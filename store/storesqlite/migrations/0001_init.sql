CREATE TABLE threads (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    title      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX threads_owner_created ON threads (owner, created_at DESC, id DESC);

CREATE TABLE runs (
    id            TEXT PRIMARY KEY,
    owner         TEXT NOT NULL,
    thread_id     TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    agent         TEXT NOT NULL,
    tier          TEXT NOT NULL,
    role          TEXT NOT NULL,
    status        TEXT NOT NULL,
    input         TEXT NOT NULL,
    params        BLOB,
    created_at    INTEGER NOT NULL,
    started_at    INTEGER,
    ended_at      INTEGER,
    output        BLOB,
    error_code    TEXT,
    error_message TEXT
);
CREATE INDEX runs_owner_thread ON runs (owner, thread_id, created_at);
CREATE INDEX runs_active ON runs (status, created_at) WHERE status IN ('queued', 'running');

CREATE TABLE messages (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    thread_id  TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    run_id     TEXT NOT NULL,
    role       TEXT NOT NULL,
    content    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX messages_owner_thread ON messages (owner, thread_id, created_at);

-- Events carry no foreign key: the group commit appends events of many runs in one
-- transaction, and a run deleted meanwhile must not fail the other runs' events.
-- DeleteThread removes a thread's events explicitly.
CREATE TABLE events (
    run_id TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    owner  TEXT NOT NULL,
    type   TEXT NOT NULL,
    frame  BLOB NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
