-- Signed checkpoints of the audit trail (package audit): each attests every chain's head and
-- anchor at a moment, signed with the server's Ed25519 key (kept outside the database), and
-- names the checkpoint before it. body is the signed JSON; sig its signature.
CREATE TABLE audit_checkpoints (
    seq  INTEGER PRIMARY KEY,
    body BLOB NOT NULL,
    sig  TEXT NOT NULL
);
