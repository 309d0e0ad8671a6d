-- API tokens for departments' own systems (issue 15): `Authorization: Bearer <token>` on the
-- /api/v1 协查 and 告知承诺 routes acts as that department. Only the sha256 of the token is
-- kept (shown once when issued), so a database leak is not a login; revoked rows stay for
-- the audit trail.
CREATE TABLE department_tokens (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    department text NOT NULL REFERENCES departments (code),
    label text NOT NULL CHECK (label <> '' AND length(label) <= 100),
    token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    last_used_at timestamptz
);
CREATE INDEX department_tokens_department ON department_tokens (department, created_at);
