-- The audit trail: append-only, one hash chain per user (package audit). The application
-- never updates or deletes a row except by retention (PruneAudit), which keeps the anchor.
-- A rowid table: new entries append to its last pages whatever the user, so a group commit
-- writes few pages; the (user_id, seq) index is small. (Keyed by (user_id, seq) WITHOUT ROWID,
-- each commit touched a page per active user.)
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    user_id    TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
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

-- Per user, the last entry removed by retention: where the remaining chain continues.
CREATE TABLE audit_anchors (
    user_id TEXT PRIMARY KEY,
    seq     INTEGER NOT NULL,
    hash    TEXT NOT NULL
);
