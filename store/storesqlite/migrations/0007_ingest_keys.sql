-- Ingestion keys (POST /v1/keys): credentials an exporter can hold for years, usable only to
-- send the owner's own telemetry. Only a hash of the secret is kept; the key is shown once.
CREATE TABLE ingest_keys (
    id           TEXT PRIMARY KEY,
    owner        TEXT NOT NULL,
    tier         TEXT NOT NULL,
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX ingest_keys_owner ON ingest_keys (owner, created_at);
