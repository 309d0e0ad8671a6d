-- A NOTIFY channel per concern (issue 13), so each worker drops only the caches that depend on
-- what changed: a department or calendar edit no longer rebuilds the checker's indexes.
--   registry_list_changed         certificate_versions, thesaurus_terms, licences (the checker)
--   registry_departments_changed  departments (the complaint form's and verdict page's lists)
--   registry_calendar_changed     calendar_overrides, calendar_years (complaint deadlines)
--   registry_record_changed       list_record (the official-list notice on every page)
-- notify_list_changed() stays for the list's tables; the others name their channel.

CREATE FUNCTION notify_channel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END;
$$;

DROP TRIGGER departments_notify ON departments;
CREATE TRIGGER departments_notify
    AFTER INSERT OR UPDATE OR DELETE ON departments
    FOR EACH STATEMENT EXECUTE FUNCTION notify_channel('registry_departments_changed');

DROP TRIGGER calendar_overrides_notify ON calendar_overrides;
CREATE TRIGGER calendar_overrides_notify
    AFTER INSERT OR UPDATE OR DELETE ON calendar_overrides
    FOR EACH STATEMENT EXECUTE FUNCTION notify_channel('registry_calendar_changed');

DROP TRIGGER calendar_years_notify ON calendar_years;
CREATE TRIGGER calendar_years_notify
    AFTER INSERT OR UPDATE OR DELETE ON calendar_years
    FOR EACH STATEMENT EXECUTE FUNCTION notify_channel('registry_calendar_changed');

DROP TRIGGER list_record_notify ON list_record;
CREATE TRIGGER list_record_notify
    AFTER INSERT OR UPDATE OR DELETE ON list_record
    FOR EACH STATEMENT EXECUTE FUNCTION notify_channel('registry_record_changed');
