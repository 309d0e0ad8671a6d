-- 告知承诺 (issue 15, 国办发〔2020〕42号): per abolished item a published commitment form, kept as
-- versions like the list (an edit closes the version in force and adds one; a second edit on
-- the same day supersedes it), and the commitments citizens sign online, checked afterwards by
-- the department that took them. Personal data sits in its own table, erased after the
-- configured retention (housekeeping); the facts stay for the statistics.
CREATE TABLE commitment_forms (
    id bigserial PRIMARY KEY,
    code text NOT NULL REFERENCES certificates (code),
    valid_from date NOT NULL,
    valid_to date,
    item_name text NOT NULL CHECK (item_name <> ''),          -- 事项名称
    basis text NOT NULL DEFAULT '',                           -- 设定依据 (of the obligation)
    obligation text NOT NULL CHECK (obligation <> ''),        -- 证明内容/义务
    methods text[] NOT NULL CHECK (cardinality(methods) > 0
        AND methods <@ ARRAY['书面承诺', '在线签署']),          -- 承诺方式
    liability text NOT NULL CHECK (liability <> ''),          -- 不实承诺的法律责任
    check_method text NOT NULL CHECK (check_method <> ''),    -- 核查的方式
    check_days integer NOT NULL CHECK (check_days BETWEEN 1 AND 365),  -- 核查时间 (working days)
    changed_by text NOT NULL,
    change_reason text NOT NULL DEFAULT '',
    recorded_at timestamptz NOT NULL DEFAULT now(),
    superseded_at timestamptz,
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    EXCLUDE USING gist (code WITH =, daterange(valid_from, valid_to) WITH &&)
        WHERE (superseded_at IS NULL)
);

CREATE INDEX commitment_forms_code ON commitment_forms (code, valid_from);

-- The item pages link to the form: a form change drops the cached pages like a list change.
CREATE TRIGGER commitment_forms_notify
    AFTER INSERT OR UPDATE OR DELETE ON commitment_forms
    FOR EACH STATEMENT EXECUTE FUNCTION notify_list_changed();

CREATE SEQUENCE commitment_numbers;

-- A signed commitment: which form, which window (department) and matter; the later check.
CREATE TABLE commitments (
    id bigserial PRIMARY KEY,
    reference text NOT NULL UNIQUE CHECK (reference ~ '^CN-[0-9]{4}-[0-9]{6,}$'),
    form_id bigint NOT NULL REFERENCES commitment_forms (id),
    code text NOT NULL REFERENCES certificates (code),
    department_code text NOT NULL REFERENCES departments (code),
    matter text NOT NULL CHECK (matter <> ''),
    signed_at timestamptz NOT NULL,
    check_due date NOT NULL,
    status text NOT NULL DEFAULT 'signed' CHECK (status IN ('signed', 'checked')),
    check_result text CHECK (check_result IN ('true', 'untrue')),
    check_note text NOT NULL DEFAULT '',
    checked_by text,
    checked_at timestamptz,
    version integer NOT NULL DEFAULT 0,
    erased_at timestamptz,
    CHECK ((status = 'checked') = (check_result IS NOT NULL))
);

CREATE INDEX commitments_department ON commitments (department_code, signed_at DESC);
CREATE INDEX commitments_code ON commitments (code);
CREATE INDEX commitments_unerased ON commitments (signed_at) WHERE erased_at IS NULL;

-- The signer: only what identifies the person, gone after the retention period.
CREATE TABLE commitment_signers (
    commitment_id bigint PRIMARY KEY REFERENCES commitments (id),
    name text NOT NULL CHECK (name <> ''),
    id_number text NOT NULL CHECK (id_number ~ '^[0-9]{17}[0-9X]$'),
    phone text NOT NULL DEFAULT ''
);
