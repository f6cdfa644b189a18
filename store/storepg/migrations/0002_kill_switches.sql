-- Kill switches (package killswitch), kept so that a restart keeps them.
CREATE TABLE kill_switches (
    kind    TEXT NOT NULL,
    name    TEXT NOT NULL,
    mode    TEXT NOT NULL,
    at      BIGINT NOT NULL,
    by_user TEXT NOT NULL,
    reason  TEXT NOT NULL,
    PRIMARY KEY (kind, name)
);
