-- The audit trail: append-only, one hash chain per user (package audit). The application
-- never updates or deletes a row except by retention (PruneAudit), which keeps the anchor.
CREATE TABLE audit (
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
    PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;
CREATE INDEX audit_at ON audit (at);

-- Per user, the last entry removed by retention: where the remaining chain continues.
CREATE TABLE audit_anchors (
    user_id TEXT PRIMARY KEY,
    seq     INTEGER NOT NULL,
    hash    TEXT NOT NULL
);
