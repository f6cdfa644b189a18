-- The nodes of a cluster (package cluster): each beats its row every second; the leader
-- deletes a row whose beat is stale, and from then on that node's commits are refused
-- (netra_fence), so a node that comes back after losing its leases cannot write over the
-- runs the leader ended.
CREATE TABLE nodes (
    id      TEXT PRIMARY KEY,
    info    JSONB NOT NULL,
    joined  TIMESTAMPTZ NOT NULL DEFAULT now(),
    beat_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE FUNCTION netra_fence(node TEXT) RETURNS void AS $$
BEGIN
    -- KEY SHARE: heartbeats (updates) do not wait for commits, the leader's delete does.
    PERFORM 1 FROM nodes WHERE id = node FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'node % has lost its leases', node USING ERRCODE = 'NX001';
    END IF;
END $$ LANGUAGE plpgsql;

-- WebSocket tickets, redeemable once on any node.
CREATE TABLE tickets (
    id       TEXT PRIMARY KEY,
    grant_js JSONB NOT NULL,
    expires  BIGINT NOT NULL
);
CREATE INDEX tickets_expires ON tickets (expires);

-- Ids a cluster counts once (auth.Marks): redeemed sign-in codes, signed-out sessions.
CREATE TABLE auth_marks (
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    expires BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
