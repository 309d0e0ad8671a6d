-- List files uploaded in the browser: the dry-run and its apply read the same stored bytes.
CREATE TABLE import_batches (
    id bigserial PRIMARY KEY,
    uploaded_by text NOT NULL,
    filename text NOT NULL,
    data bytea NOT NULL CHECK (octet_length(data) <= 1048576),
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    -- Set once, by compare-and-set: a batch is applied at most once.
    applied_at timestamptz,
    report jsonb
);
