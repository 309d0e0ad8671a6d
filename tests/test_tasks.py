"""Supervised background tasks (registry.infra.tasks) and the housekeeping sweep they run."""

from __future__ import annotations

import asyncio
import itertools
import logging

import msgspec
import pytest

from registry.accounts import housekeeping
from registry.infra import tasks
from registry.infra.settings import Settings
from registry.web.app import create_app
from registry.web.state import worker


async def test_a_failing_task_is_logged_and_restarted_with_growing_delays(caplog):
    loop = asyncio.get_running_loop()
    starts: list[float] = []
    forever, fifth = asyncio.Event(), asyncio.Event()

    async def work() -> None:
        starts.append(loop.time())
        if len(starts) == 5:
            fifth.set()
        if len(starts) == 1:
            raise RuntimeError("a bug")
        if len(starts) <= 4:
            raise ConnectionRefusedError("database away")
        await forever.wait()

    with caplog.at_level(logging.WARNING, logger="registry"):
        task = tasks.spawn("worker", work, first_delay=0.05, max_delay=0.2)
        await asyncio.wait_for(fifth.wait(), 5)
        await tasks.stop([task])
    assert task.cancelled()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    for gap, delay in zip(gaps, [0.05, 0.1, 0.2, 0.2], strict=True):  # doubling, capped at 0.2
        assert delay <= gap < delay + 0.1
    failures = [r for r in caplog.records if "worker failed" in r.getMessage()]
    assert len(failures) == 4
    assert "RuntimeError: a bug" in failures[0].getMessage() and failures[0].exc_info  # a bug
    assert "ConnectionRefusedError" in failures[1].getMessage()
    assert not failures[1].exc_info  # weather: one line, no traceback


async def test_a_hung_round_times_out_and_the_next_round_runs(caplog):
    rounds: list[int] = []
    third = asyncio.Event()

    async def work() -> None:
        rounds.append(1)
        if len(rounds) == 3:
            third.set()
        if len(rounds) == 1:
            await asyncio.sleep(3600)  # a database that never answers

    task = tasks.spawn("sweeper", lambda: tasks.every(0.01, work, limit=0.1), first_delay=0.01)
    await asyncio.wait_for(third.wait(), 5)
    await tasks.stop([task])
    assert "sweeper failed (TimeoutError" in caplog.text


async def test_housekeeping_deletes_only_what_is_past_its_time(conn, settings):
    await conn.execute(
        """
        INSERT INTO rate_limits (bucket, window_start, hits) VALUES
            ('file:old', now() - interval '2 days', 3), ('file:new', now(), 1);
        INSERT INTO users (id, username, password_hash, role)
            VALUES (990001, 'sweep-test', 'x', 'admin');
        INSERT INTO sessions (id, user_id, created_at, last_seen) VALUES
            ('idle', 990001, now() - interval '2 hours', now() - interval '1 hour'),
            ('old', 990001, now() - interval '9 hours', now()),
            ('live', 990001, now() - interval '1 hour', now());
        INSERT INTO outbox (recipient, subject, body, created_at, sent_at) VALUES
            ('old-sent@example.org', 's', 'b', now() - interval '40 days',
             now() - interval '31 days'),
            ('new-sent@example.org', 's', 'b', now() - interval '2 days', now() - interval '1 day'),
            ('old-unsent@example.org', 's', 'b', now() - interval '40 days', NULL);
        INSERT INTO login_throttle (username, address, failures, last_failed_at) VALUES
            ('sweep-idle', '192.0.2.1', 5, now() - interval '2 days'),
            ('sweep-recent', '192.0.2.1', 5, now() - interval '1 hour');
        """
    )
    swept = await housekeeping.sweep(conn, msgspec.structs.replace(settings, outbox_keep_days=30))
    assert swept == housekeeping.Swept(rate_limits=1, sessions=2, outbox=1)
    buckets = {r[0] for r in await conn.fetch("SELECT bucket FROM rate_limits")}
    assert "file:new" in buckets and "file:old" not in buckets
    assert [r[0] for r in await conn.fetch("SELECT id FROM sessions WHERE user_id = 990001")] == [
        "live"
    ]
    left = {r[0] for r in await conn.fetch("SELECT recipient FROM outbox")}
    assert {"new-sent@example.org", "old-unsent@example.org"} <= left
    assert "old-sent@example.org" not in left
    throttled = {r[0] for r in await conn.fetch("SELECT username FROM login_throttle")}
    assert "sweep-recent" in throttled and "sweep-idle" not in throttled


async def test_the_server_runs_listener_sender_and_housekeeping_supervised(seeded, settings):
    served = msgspec.structs.replace(
        settings, database_url=seeded, listen_for_changes=True, housekeeping_interval=3600
    )
    app = create_app(served)
    names = {"list listener", "outbox sender", "housekeeping"}
    async with app.lifespan():
        running = {t.get_name(): t for t in asyncio.all_tasks() if t.get_name() in names}
        assert set(running) == names
        async with worker(app).pool.acquire() as conn:
            assert await conn.fetchval("SELECT 1") == 1
    assert all(t.done() for t in running.values())  # stopped with the server


def test_housekeeping_settings_come_from_the_environment_and_typos_fail_at_start(tmp_path):
    env = {"REGISTRY_HOME": str(tmp_path), "REGISTRY_SECRET_KEY": "k"}
    default = Settings.from_env(env)
    assert (default.housekeeping_interval, default.outbox_keep_days) == (3600, 30)
    chosen = Settings.from_env(
        env | {"REGISTRY_HOUSEKEEPING_INTERVAL": "0", "REGISTRY_OUTBOX_KEEP_DAYS": "7"}
    )
    assert (chosen.housekeeping_interval, chosen.outbox_keep_days) == (0, 7)
    for bad in ("0", "-1", "ten", "1.5"):
        with pytest.raises(ValueError, match="REGISTRY_OUTBOX_KEEP_DAYS"):
            Settings.from_env(env | {"REGISTRY_OUTBOX_KEEP_DAYS": bad})
