-- The checker's vocabulary, kept like the list: every change is a new version row; a version
-- is only ever closed (valid_to set), never changed or deleted. Retiring an entry closes its
-- current version without a successor. `key` is stable: shipped keys (SY-HJ-001, MC-001,
-- ZZ-001) come from seed_data/, the office's from the sequences below (SY-O-0001, MC-O-0001,
-- ZZ-O-0001). `registry migrate` loads a shipped entry only when its key never existed here,
-- so an office edit or retirement is never undone by an upgrade.

-- Everyday phrasings: of a matter (上户口 -> 户口登记) or of a certificate's name
-- (良民证 -> 无犯罪记录证明). kind mirrors registry.vocab.TermKind.
CREATE TABLE thesaurus_terms (
    id bigserial PRIMARY KEY,
    key text NOT NULL CHECK (key ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$'),
    kind text NOT NULL CHECK (kind IN ('matter', 'name')),
    phrases text[] NOT NULL CHECK (cardinality(phrases) > 0),
    targets text[] NOT NULL CHECK (cardinality(targets) > 0),
    domain text NOT NULL DEFAULT '',
    note text NOT NULL DEFAULT '',
    valid_from timestamptz NOT NULL DEFAULT now(),
    valid_to timestamptz,
    changed_by text NOT NULL,
    reason text NOT NULL DEFAULT '',
    source text NOT NULL CHECK (source IN ('shipped', 'office')),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX thesaurus_terms_current ON thesaurus_terms (key) WHERE valid_to IS NULL;
CREATE INDEX thesaurus_terms_key ON thesaurus_terms (key, valid_from);

-- Identity documents and licences (证照): not certificates; a window may ask to see one where a
-- law says so, never for a separate proof of what it already shows.
CREATE TABLE licences (
    id bigserial PRIMARY KEY,
    key text NOT NULL CHECK (key ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$'),
    name text NOT NULL CHECK (name <> ''),
    aliases text[] NOT NULL DEFAULT '{}',
    issuer text NOT NULL DEFAULT '',
    rule text NOT NULL DEFAULT '',
    legal_basis text NOT NULL DEFAULT '',
    valid_from timestamptz NOT NULL DEFAULT now(),
    valid_to timestamptz,
    changed_by text NOT NULL,
    reason text NOT NULL DEFAULT '',
    source text NOT NULL CHECK (source IN ('shipped', 'office')),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX licences_current ON licences (key) WHERE valid_to IS NULL;
CREATE INDEX licences_key ON licences (key, valid_from);

-- Numbers of the office's own entries (never reused, whatever is retired).
CREATE SEQUENCE thesaurus_office_keys;
CREATE SEQUENCE licence_office_keys;

-- The one change a version allows: closing it, once. Everything else is refused, even to the
-- owner, like the audit log (refuse_change() is migration 0003's).
CREATE FUNCTION vocabulary_close_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL
       AND to_jsonb(NEW) - 'valid_to' = to_jsonb(OLD) - 'valid_to' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% versions are only ever closed', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER thesaurus_terms_close_only BEFORE UPDATE ON thesaurus_terms
    FOR EACH ROW EXECUTE FUNCTION vocabulary_close_only();
CREATE TRIGGER thesaurus_terms_no_delete BEFORE DELETE ON thesaurus_terms
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER thesaurus_terms_no_truncate BEFORE TRUNCATE ON thesaurus_terms
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER licences_close_only BEFORE UPDATE ON licences
    FOR EACH ROW EXECUTE FUNCTION vocabulary_close_only();
CREATE TRIGGER licences_no_delete BEFORE DELETE ON licences
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER licences_no_truncate BEFORE TRUNCATE ON licences
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Every worker rebuilds its checker indexes when the vocabulary changes.
CREATE TRIGGER thesaurus_terms_notify
    AFTER INSERT OR UPDATE OR DELETE ON thesaurus_terms
    FOR EACH STATEMENT EXECUTE FUNCTION notify_list_changed();
CREATE TRIGGER licences_notify
    AFTER INSERT OR UPDATE OR DELETE ON licences
    FOR EACH STATEMENT EXECUTE FUNCTION notify_list_changed();

-- The app role (default privileges of 0007 granted it DELETE): rows are added and closed only.
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'registry_app') THEN
        RAISE NOTICE 'role registry_app does not exist: grants skipped';
        RETURN;
    END IF;
    REVOKE DELETE, TRUNCATE ON thesaurus_terms, licences FROM registry_app;
END $$;

-- Who retired an entry, and why, is in the audit log (a closed version keeps only valid_to):
-- the entry's page finds it by entity.
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);

-- Two more classifications of a complaint: the proof named is a licence or identity document
-- (out_of_scope), or the checker could not tell which item was meant (undetermined).
ALTER TABLE complaints DROP CONSTRAINT complaints_classification_check;
ALTER TABLE complaints ADD CONSTRAINT complaints_classification_check CHECK (classification IN
    ('abolished', 'unlisted', 'retained_out_of_scope', 'retained_in_scope', 'out_of_scope',
     'undetermined'));
