-- A thread's runs and messages are found by thread first (every query also names the owner,
-- checked on the row). Keyed by owner first, each run wrote a leaf page per active user into
-- both indexes, and a commit touched two pages more per user in it; thread ids grow with
-- time, so a new thread's entries append to the last pages. The thread_id prefix also serves
-- the foreign keys' cascade when a thread is deleted, which scanned both tables before.
DROP INDEX runs_owner_thread;
CREATE INDEX runs_thread ON runs (thread_id, created_at);
DROP INDEX messages_owner_thread;
CREATE INDEX messages_thread ON messages (thread_id, created_at);
