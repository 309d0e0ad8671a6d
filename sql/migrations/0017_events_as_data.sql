-- Timeline events and e-mails stored as data, rendered when read or sent in the reader's
-- language (registry/complaints/events.py).
--
-- complaint_events.params: the event's parameters; NULL for a row written before, whose note is
-- its finished sentence. With params, note holds only the person's own words (a reason, a
-- result, a comment), never translated. The table stays append-only (0003).
ALTER TABLE complaint_events ADD COLUMN params jsonb;

-- outbox.kind/params/locale: a message rendered at send time; subject and body stay for the rows
-- written before (kind NULL), and are empty for the new ones.
ALTER TABLE outbox
    ADD COLUMN kind text,
    ADD COLUMN params jsonb,
    ADD COLUMN locale text,
    ALTER COLUMN subject SET DEFAULT '',
    ALTER COLUMN body SET DEFAULT '',
    ADD CONSTRAINT outbox_kind_has_params CHECK (kind IS NULL OR params IS NOT NULL);
