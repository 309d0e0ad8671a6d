-- Years whose holidays and 调休 are settled: published in the calendar data the code ships
-- ('official', written by `registry migrate`), or a notice the office loaded ('office': every
-- day of that year is then an office entry in calendar_overrides). A deadline in any other
-- year rests on computed holidays and is shown as provisional (暂定).
CREATE TABLE calendar_years (
    year integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2200),
    source text NOT NULL CHECK (source IN ('official', 'office')),
    notice text NOT NULL DEFAULT '',
    loaded_at timestamptz NOT NULL DEFAULT now(),
    loaded_by text NOT NULL DEFAULT ''
);
CREATE TRIGGER calendar_years_notify
    AFTER INSERT OR UPDATE OR DELETE ON calendar_years
    FOR EACH STATEMENT EXECUTE FUNCTION notify_list_changed();

-- What the reply deadline counts from, so a calendar change can count it again. NULL: from the
-- filing date, 15 working days (a complaint not yet accepted).
ALTER TABLE complaints
    ADD COLUMN reply_from date,
    ADD COLUMN reply_days smallint CHECK (reply_days > 0);
UPDATE complaints SET
    reply_from = ((CASE WHEN reopened THEN followed_up_at ELSE accepted_at END)
                  AT TIME ZONE 'Asia/Shanghai')::date,
    reply_days = CASE WHEN extended AND NOT reopened THEN 20 ELSE 15 END
WHERE accepted_at IS NOT NULL;
