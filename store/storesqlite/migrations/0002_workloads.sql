-- Workload records, in chunks of up to 4096 records (workload.EncodeChunk). A chunk belongs
-- to one upload and is invisible until its upload commits.
CREATE TABLE workload_chunks (
    id        INTEGER PRIMARY KEY,
    owner     TEXT NOT NULL,
    upload    TEXT NOT NULL,
    committed INTEGER NOT NULL DEFAULT 0,
    n         INTEGER NOT NULL,
    min_ts    INTEGER NOT NULL,
    max_ts    INTEGER NOT NULL,
    data      BLOB NOT NULL
);
CREATE INDEX workload_chunks_owner ON workload_chunks (owner, committed, max_ts);
CREATE INDEX workload_chunks_upload ON workload_chunks (upload);

-- Record ids, for idempotent uploads. No index beside the key: an aborted upload finds the
-- ids it registered in its own staged chunks (an index on upload doubled the cost of every
-- insert).
CREATE TABLE workload_ids (
    owner TEXT NOT NULL,
    rid   TEXT NOT NULL,
    PRIMARY KEY (owner, rid)
) WITHOUT ROWID;
