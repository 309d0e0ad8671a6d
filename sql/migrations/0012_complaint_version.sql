-- Every step moves a complaint's version on; compare-and-set checks it as well as the status, so
-- two steps that keep the status (an extension, a follow-up) cannot both win a race.
ALTER TABLE complaints ADD COLUMN version integer NOT NULL DEFAULT 0;
