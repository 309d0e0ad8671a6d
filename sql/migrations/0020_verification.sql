-- 部门核查 (协查) requests (issue 15): a clerk of one department asks the department that used to
-- issue an abolished certificate to confirm the fact it proved.
--   pending (待接收) -> received (已接收) -> answered (已答复); overdue (超期) once due_at passes
--   unanswered (the housekeeping sweep sets it; pages flag it at once); 督办 (urge) by the office
--   on an overdue request keeps the status and counts in urged_count.
-- The applicant is named only as far as needed and masked in every list (the code masks).
CREATE SEQUENCE verification_numbers;

CREATE TABLE verification_requests (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference text NOT NULL UNIQUE CHECK (reference ~ '^XC-[0-9]{4}-[0-9]{6,}$'),
    code text NOT NULL REFERENCES certificates (code),
    from_department text NOT NULL REFERENCES departments (code),
    to_department text NOT NULL REFERENCES departments (code),
    matter text NOT NULL CHECK (matter <> '' AND length(matter) <= 200),
    case_ref text NOT NULL CHECK (case_ref <> '' AND length(case_ref) <= 100),
    question text NOT NULL CHECK (question <> '' AND length(question) <= 1000),
    applicant text NOT NULL CHECK (applicant <> '' AND length(applicant) <= 100),
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'received', 'answered', 'overdue')),
    result text CHECK (result IN ('confirmed', 'not_confirmed', 'no_record', 'not_ours')),
    note text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    due_at timestamptz NOT NULL,
    created_by text NOT NULL,
    -- The client's key for a retried creation, per requesting department, and the hash of
    -- the form it came with (the same key with another form is refused, not merged).
    idempotency_key text CHECK (idempotency_key <> '' AND length(idempotency_key) <= 200),
    request_hash text NOT NULL,
    version integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    received_at timestamptz,
    answered_at timestamptz,
    overdue_at timestamptz,
    urged_count integer NOT NULL DEFAULT 0 CHECK (urged_count >= 0),
    last_urged_at timestamptz,
    CHECK (from_department <> to_department),
    CHECK ((status = 'answered') = (result IS NOT NULL AND answered_at IS NOT NULL)),
    UNIQUE (from_department, idempotency_key)
);
CREATE INDEX verification_incoming ON verification_requests (to_department, created_at);
CREATE INDEX verification_outgoing ON verification_requests (from_department, created_at);
CREATE INDEX verification_open ON verification_requests (due_at)
    WHERE status IN ('pending', 'received');

-- The timeline: a kind and its parameters (rendered in the reader's language) and the actor's
-- own words (never translated), like complaint_events.
CREATE TABLE verification_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id bigint NOT NULL REFERENCES verification_requests (id),
    at timestamptz NOT NULL,
    kind text NOT NULL,
    params jsonb NOT NULL DEFAULT '{}',
    actor text NOT NULL,
    status_from text,
    status_to text,
    note text NOT NULL DEFAULT ''
);
CREATE INDEX verification_events_request ON verification_events (request_id, id);

-- Per item, how long the consulted department has; no row: the same working day.
CREATE TABLE verification_terms (
    code text PRIMARY KEY REFERENCES certificates (code),
    unit text NOT NULL CHECK (unit IN ('days', 'hours')),
    amount integer NOT NULL CHECK (amount BETWEEN 1 AND 60),
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Where a department's (or, as 'office', the supervising office's) 协查 notices are mailed.
-- No row: a local address under .invalid, kept in the outbox until one is set.
CREATE TABLE verification_mailboxes (
    owner text PRIMARY KEY CHECK (owner = 'office' OR owner ~ '^[A-Za-z0-9][A-Za-z0-9_-]*$'),
    email text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$')
);

DO $$ BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'registry_app') THEN
        REVOKE UPDATE, DELETE, TRUNCATE ON verification_events FROM registry_app;
    END IF;
END $$;
