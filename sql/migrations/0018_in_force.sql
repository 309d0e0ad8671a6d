-- The one definition of "the version in force" (issue 13): every read of the list goes through
-- it. A version is in force on a day when it is live (not superseded by a same-day correction)
-- and its half-open range [valid_from, valid_to) holds the day; the exclusion constraint of
-- 0001 leaves at most one such version per code.
-- versions_in_force('infinity') is each item's newest version, scheduled ones included: a
-- new version always closes the open one on its own date (queries/imports.end_versions), so
-- the newest live version is the open one.
-- A one-SELECT SQL function that is neither STRICT nor VOLATILE is inlined by the planner, so
-- callers' conditions and ORDER BY reach certificate_versions and its indexes.
CREATE FUNCTION versions_in_force(day date) RETURNS SETOF certificate_versions
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT * FROM certificate_versions
    WHERE superseded_at IS NULL
      AND valid_from <= day
      AND (valid_to IS NULL OR valid_to > day)
$$;
