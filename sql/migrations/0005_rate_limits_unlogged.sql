-- Rate-limit counters are worth nothing after a crash: keep them out of the WAL, so counting a
-- request costs no disk flush at commit.
ALTER TABLE rate_limits SET UNLOGGED;
