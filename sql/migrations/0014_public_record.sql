-- The public record (issue 11): which versions are the initial list, and whether the list in
-- force is the county's official one or still the shipped reconstruction.

-- The versions written by the first applied write into an empty register (the seed, or the
-- county's first official import) are the initial list: the change log shows them as one
-- event, not one "新增" per item.
ALTER TABLE certificate_versions ADD COLUMN initial boolean NOT NULL DEFAULT false;

-- An existing register: its first write is the earliest transaction (now() is the same for
-- every row a transaction writes).
UPDATE certificate_versions SET initial = true
WHERE recorded_at = (SELECT min(recorded_at) FROM certificate_versions);

-- Browser imports with no reason wrote "网页导入：<file name>" as the public reason. A file
-- name is no reason; the audit log keeps it.
UPDATE certificate_versions SET change_reason = ''
WHERE change_reason LIKE '网页导入：%';

-- One row. official is set (never unset) by an import the office confirms is the list the
-- county government published; who did it is in the audit log.
CREATE TABLE list_record (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    official boolean NOT NULL DEFAULT false,
    official_at timestamptz,
    CHECK (official = (official_at IS NOT NULL))
);
INSERT INTO list_record DEFAULT VALUES;

-- Every page says whether the list is official: the page caches must be dropped when it changes.
CREATE TRIGGER list_record_notify
    AFTER INSERT OR UPDATE OR DELETE ON list_record
    FOR EACH STATEMENT EXECUTE FUNCTION notify_list_changed();
