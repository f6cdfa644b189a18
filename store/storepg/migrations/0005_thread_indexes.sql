-- A thread's runs and messages are found by thread first (every query also names the owner,
-- checked on the row), as in the embedded store. Keyed by owner first, each accepted run
-- inserted into both indexes at a place of its user's, one leaf page per active user; thread
-- ids grow with time, so a new thread's entries go to the last pages. The thread_id prefix
-- also serves the foreign keys' cascade when a thread is deleted, which scanned both tables.
DROP INDEX runs_owner_thread;
CREATE INDEX runs_thread ON runs (thread_id, created_at, n);
DROP INDEX messages_owner_thread;
CREATE INDEX messages_thread ON messages (thread_id, created_at, n);
