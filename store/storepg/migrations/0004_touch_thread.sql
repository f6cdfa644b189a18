-- Touching the owner's existing thread when a run is accepted in it raises when there is no
-- such thread of the owner's, so that a group commit, sent as one implicit transaction (one
-- round trip, no BEGIN and COMMIT of its own), fails whole instead of needing a check after it.
CREATE FUNCTION netra_touch_thread(thread TEXT, who TEXT, at BIGINT) RETURNS void AS $$
BEGIN
    UPDATE threads SET updated_at = at WHERE id = thread AND owner = who;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'thread % not found', thread USING ERRCODE = 'NX002';
    END IF;
END $$ LANGUAGE plpgsql;
