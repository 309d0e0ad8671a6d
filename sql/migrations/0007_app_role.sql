-- The site connects as registry_app: rows only. The owner (who runs these migrations) keeps
-- DDL, triggers and grants; the audit log and complaint timeline stay append-only for the app.
-- Default privileges cover every table a later migration creates. Skipped (with a notice)
-- where the role does not exist, e.g. an external PostgreSQL set up by hand (docs/access.md).
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'registry_app') THEN
        RAISE NOTICE 'role registry_app does not exist: grants skipped';
        RETURN;
    END IF;
    GRANT USAGE ON SCHEMA public TO registry_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO registry_app;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO registry_app;
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, complaint_events FROM registry_app;
    REVOKE ALL ON schema_migrations FROM registry_app;
    GRANT SELECT ON schema_migrations TO registry_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public
        GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO registry_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO registry_app;
END $$;
