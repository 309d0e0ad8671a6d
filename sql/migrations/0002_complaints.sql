-- Complaints: facts, private contact data (its own table), an append-only timeline.
CREATE TABLE complaints (
    id bigserial PRIMARY KEY,
    reference text NOT NULL UNIQUE,
    access_code_hash text NOT NULL,
    department_code text REFERENCES departments (code),
    department_other text NOT NULL DEFAULT '',
    certificate_name text NOT NULL CHECK (certificate_name <> ''),
    certificate_code text REFERENCES certificates (code),
    matter text NOT NULL DEFAULT '',
    demanded_on date NOT NULL,
    place text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    disclosure text NOT NULL CHECK (disclosure IN ('named', 'confidential', 'anonymous')),
    classification text NOT NULL CHECK (classification IN
        ('abolished', 'unlisted', 'retained_out_of_scope', 'retained_in_scope')),
    status text NOT NULL DEFAULT 'submitted' CHECK (status IN
        ('submitted', 'accepted', 'rejected', 'assigned', 'replied', 'closed')),
    submitted_at timestamptz NOT NULL DEFAULT now(),
    accept_due date NOT NULL,
    reply_due date NOT NULL,
    idempotency_key text UNIQUE,
    request_hash text NOT NULL DEFAULT '',
    CHECK (department_code IS NOT NULL OR department_other <> '')
);

CREATE INDEX complaints_status ON complaints (status, submitted_at);
CREATE INDEX complaints_department ON complaints (department_code, status);

-- Only the supervising office may read this, through an audited reveal.
CREATE TABLE complaint_contacts (
    complaint_id bigint PRIMARY KEY REFERENCES complaints (id),
    name text NOT NULL DEFAULT '',
    phone text NOT NULL DEFAULT '',
    email text NOT NULL DEFAULT ''
);

CREATE TABLE complaint_events (
    id bigserial PRIMARY KEY,
    complaint_id bigint NOT NULL REFERENCES complaints (id),
    at timestamptz NOT NULL DEFAULT now(),
    kind text NOT NULL,
    public boolean NOT NULL,
    actor text NOT NULL,
    status_from text,
    status_to text,
    note text NOT NULL DEFAULT ''
);

CREATE INDEX complaint_events_complaint ON complaint_events (complaint_id, at);

-- Fixed-window counters every worker shares (filing, tracking lookups, logins).
CREATE TABLE rate_limits (
    bucket text NOT NULL,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
