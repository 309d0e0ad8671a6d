-- Login back-off per (account name, client address): failures from one address delay only that
-- pair, so an outsider who knows a username cannot lock its owner out. The name is kept as
-- typed (unknown names are throttled exactly like real ones, so the answers reveal nothing).
CREATE TABLE login_throttle (
    username text NOT NULL,
    address text NOT NULL,
    failures integer NOT NULL DEFAULT 0,
    last_failed_at timestamptz,
    delayed_until timestamptz,
    -- A successful login from here: the address is "known" for the account-wide ceiling.
    last_success_at timestamptz,
    PRIMARY KEY (username, address)
);

-- The account-wide ceiling against guessing from many addresses: failures in a fixed window,
-- and the next moment an attempt from an unknown address may be checked (a slow-down in
-- seconds, never a lock).
CREATE TABLE login_account_throttle (
    username text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    failures integer NOT NULL DEFAULT 0,
    next_slot timestamptz NOT NULL DEFAULT '-infinity'
);

-- users.failed_logins now counts failures since the last successful login (shown to the
-- admin); users.locked_until is only an admin's explicit lock. The admin's "unlock" sets both
-- (queries/office.py names locked_until; the login code never does), and that also lifts
-- every delay of the account.
CREATE FUNCTION lift_login_delays() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE login_throttle SET failures = 0, delayed_until = NULL WHERE username = NEW.username;
    UPDATE login_account_throttle SET failures = 0, next_slot = '-infinity'
        WHERE username = NEW.username;
    RETURN NULL;
END;
$$;

CREATE TRIGGER users_unlock_lifts_login_delays AFTER UPDATE OF locked_until ON users
    FOR EACH ROW
    WHEN (NEW.locked_until IS NULL AND NEW.failed_logins = 0
          AND (OLD.locked_until IS NOT NULL OR OLD.failed_logins <> 0))
    EXECUTE FUNCTION lift_login_delays();
