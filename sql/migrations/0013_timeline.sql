-- A complaint timeline that tells the truth: why the current reply deadline is what it is, the
-- result written for the complainant at closing, and who recorded the satisfaction.
--
-- deadline_reason: what set the current reply deadline. 'filed' (15 working days after filing,
-- counted again at acceptance), 'accepted' (15 after acceptance), 'extended' (20 from the same
-- start, with extension_reason), 'reopened' (15 after an unsatisfied follow-up). Its parameters
-- are reply_from and reply_days (0011). A reopen starts a clean deadline: extension_reason is
-- cleared and the new deadline may be extended once.
ALTER TABLE complaints
    ADD COLUMN deadline_reason text NOT NULL DEFAULT 'filed'
        CHECK (deadline_reason IN ('filed', 'accepted', 'extended', 'reopened')),
    ADD COLUMN result text NOT NULL DEFAULT '',
    ADD COLUMN satisfaction_by text CHECK (satisfaction_by IN ('office', 'complainant'));

-- An extension after the reopen (the old rule allowed one per complaint) is the current one.
UPDATE complaints c SET deadline_reason = CASE
    WHEN c.extended AND NOT EXISTS (
        SELECT FROM complaint_events r
        WHERE r.complaint_id = c.id AND r.kind = 'follow_up' AND r.status_to = 'assigned'
          AND r.at > (SELECT max(x.at) FROM complaint_events x
                      WHERE x.complaint_id = c.id AND x.kind = 'extend'))
        THEN 'extended'
    WHEN c.reopened THEN 'reopened'
    WHEN c.accepted_at IS NOT NULL THEN 'accepted'
    ELSE 'filed'
END;
UPDATE complaints SET reply_days = 20 WHERE deadline_reason = 'extended';
UPDATE complaints SET extension_reason = '' WHERE deadline_reason <> 'extended';
-- Every follow-up so far was the office's.
UPDATE complaints SET satisfaction_by = 'office' WHERE satisfaction IS NOT NULL;

-- "Extended" now means the current deadline was extended: derived, so it cannot drift.
ALTER TABLE complaints DROP COLUMN extended;
ALTER TABLE complaints
    ADD COLUMN extended boolean GENERATED ALWAYS AS (deadline_reason = 'extended') STORED;
