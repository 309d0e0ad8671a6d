-- Workers cache the calendar corrections for deadlines; a change must reach every worker.
CREATE TRIGGER calendar_overrides_notify
    AFTER INSERT OR UPDATE OR DELETE ON calendar_overrides
    FOR EACH STATEMENT EXECUTE FUNCTION notify_list_changed();

-- The sender takes the oldest due messages in index order, without sorting the backlog.
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE sent_at IS NULL;
