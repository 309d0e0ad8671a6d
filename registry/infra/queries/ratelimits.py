"""SQL for the fixed-window rate limits (infra.ratelimit counts with it; the filing statement
in queries/complaints.py splices it in as a CTE). Here, not in ratelimit.py: SQL modules import
no domain module (docs/architecture.md, the layers contract)."""

from __future__ import annotations

# Count one hit in the current fixed window of `window` seconds when `when` holds; returns
# hits, window_start (no row when `when` is false). Also used as a CTE by the filing statement
# (queries/complaints.py), which counts nothing for a replay or a redraw.
HIT = """
    INSERT INTO rate_limits (bucket, window_start, hits)
    SELECT {bucket}, to_timestamp(floor(extract(epoch FROM now()) / {window}) * {window}), 1
    WHERE {when}
    ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
    RETURNING hits, window_start
"""
