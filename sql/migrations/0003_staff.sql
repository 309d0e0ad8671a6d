-- Staff accounts and sessions (server-side, shared by every worker).
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    username text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.-]{2,40}$'),
    display_name text NOT NULL DEFAULT '',
    password_hash text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'supervisor', 'department')),
    department_code text REFERENCES departments (code),
    active boolean NOT NULL DEFAULT true,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'department') = (department_code IS NOT NULL))
);

CREATE TABLE sessions (
    id text PRIMARY KEY,  -- sha256 of the cookie value: a database leak is not a login
    user_id bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user ON sessions (user_id);

-- The complaint workflow: who handles it and what they found.
ALTER TABLE complaints
    ADD COLUMN assigned_department text REFERENCES departments (code),
    ADD COLUMN accepted_at timestamptz,
    ADD COLUMN replied_at timestamptz,
    ADD COLUMN closed_at timestamptz,
    ADD COLUMN reject_reason text NOT NULL DEFAULT '',
    ADD COLUMN finding text CHECK (finding IN ('substantiated', 'unsubstantiated')),
    ADD COLUMN action_taken text NOT NULL DEFAULT '',
    ADD COLUMN extended boolean NOT NULL DEFAULT false,
    ADD COLUMN extension_reason text NOT NULL DEFAULT '',
    ADD COLUMN reopened boolean NOT NULL DEFAULT false,
    ADD COLUMN satisfaction text CHECK (satisfaction IN
        ('very_satisfied', 'satisfied', 'neutral', 'unsatisfied', 'very_unsatisfied')),
    ADD COLUMN followed_up_at timestamptz,
    ADD COLUMN closed_on_time boolean;
CREATE INDEX complaints_assigned ON complaints (assigned_department, status);

-- The office's corrections to the published holiday and 调休 calendar.
CREATE TABLE calendar_overrides (
    day date PRIMARY KEY,
    workday boolean NOT NULL,
    note text NOT NULL DEFAULT ''
);

-- Messages written in the same transaction as the change they announce; a worker sends them.
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    complaint_id bigint REFERENCES complaints (id),
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text NOT NULL DEFAULT '',
    sent_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE sent_at IS NULL;

-- Append-only, even for a superuser role: the audit log and the complaint timeline.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER complaint_events_append_only BEFORE UPDATE OR DELETE ON complaint_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER complaint_events_no_truncate BEFORE TRUNCATE ON complaint_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- A role without UPDATE/DELETE on the audit log, for deployments that connect as it.
-- Skipped (with a notice) where the migrating user may not create roles.
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'registry_app') THEN
        CREATE ROLE registry_app NOLOGIN;
    END IF;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO registry_app;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO registry_app;
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, complaint_events FROM registry_app;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'role registry_app not set up: %', SQLERRM;
END $$;
