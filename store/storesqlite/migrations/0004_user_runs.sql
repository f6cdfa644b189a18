-- GET /v1/runs pages through a user's runs, newest first.
CREATE INDEX runs_owner_created ON runs (owner, created_at DESC, id DESC);
