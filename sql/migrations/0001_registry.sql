-- The certificate list, kept as versions: nothing is overwritten or deleted.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE departments (
    code text PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (name <> ''),
    kind text NOT NULL CHECK (kind IN ('county', 'town', 'street', 'other'))
);

-- Identity only: a code is never reused, whatever its versions say.
CREATE TABLE certificates (
    code text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE certificate_versions (
    id bigserial PRIMARY KEY,
    code text NOT NULL REFERENCES certificates (code),
    valid_from date NOT NULL,
    valid_to date,
    name text NOT NULL CHECK (name <> ''),
    aliases text[] NOT NULL DEFAULT '{}',
    status text NOT NULL CHECK (status IN ('retained', 'abolished')),
    issuer text NOT NULL DEFAULT '',
    demanded_by text[] NOT NULL DEFAULT '{}',
    matters text[] NOT NULL DEFAULT '{}',
    legal_basis text NOT NULL DEFAULT '',
    legal_basis_level text NOT NULL DEFAULT '' CHECK (legal_basis_level IN
        ('', '法律', '行政法规', '国务院决定', '地方性法规', '规章', '规范性文件', '无')),
    domain text NOT NULL DEFAULT '',
    replacement text NOT NULL DEFAULT '',
    replacement_methods text[] NOT NULL DEFAULT '{}',
    retain_reason text NOT NULL DEFAULT '',
    decision_doc text NOT NULL DEFAULT '',
    note text NOT NULL DEFAULT '',
    changed_by text NOT NULL,
    change_reason text NOT NULL DEFAULT '',
    recorded_at timestamptz NOT NULL DEFAULT now(),
    -- A correction on the same effective date supersedes a version instead of deleting it.
    superseded_at timestamptz,
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    EXCLUDE USING gist (code WITH =, daterange(valid_from, valid_to) WITH &&)
        WHERE (superseded_at IS NULL)
);

CREATE INDEX certificate_versions_code ON certificate_versions (code, valid_from);
CREATE INDEX certificate_versions_current ON certificate_versions (status)
    WHERE valid_to IS NULL AND superseded_at IS NULL;

-- The only writer is registry/audit.py; the app role gets no UPDATE/DELETE (see 0002).
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    action text NOT NULL,
    entity text NOT NULL,
    entity_id text NOT NULL DEFAULT '',
    before jsonb,
    after jsonb,
    reason text NOT NULL DEFAULT ''
);

-- Every worker rebuilds its caches when the list changes.
CREATE FUNCTION notify_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('registry_list_changed', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER certificate_versions_notify
    AFTER INSERT OR UPDATE OR DELETE ON certificate_versions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_list_changed();

CREATE TRIGGER departments_notify
    AFTER INSERT OR UPDATE OR DELETE ON departments
    FOR EACH STATEMENT EXECUTE FUNCTION notify_list_changed();
