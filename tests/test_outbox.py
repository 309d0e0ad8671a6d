"""The outbox sender: claim a batch, send without holding row locks, mark; failures logged and
retried with back-off. Real sessions on a database of the test's own."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging

import asyncpg
import pytest

from registry.infra import migrate, outbox
from registry.infra.db import SingleConnectionPool, connect
from tests.twoconn import CommittedDatabase


@pytest.fixture
async def committed_db(scratch_database, settings):  # type: ignore[no-untyped-def]
    """As tests/twoconn.py's, migrated but not seeded: the outbox needs no list."""
    async with scratch_database("outbox") as dsn:
        setup = await connect(dsn)
        try:
            await migrate.apply(setup, settings.migrations_dir)
        finally:
            await setup.close()
        db = CommittedDatabase(dsn)
        try:
            yield db
        finally:
            await db.close()


class Transport:
    """Records what it sends; can be slow, fail some messages, or run a probe on each."""

    def __init__(self, *, delay: float = 0.0, fail: set[int] | None = None, probe=None) -> None:
        self.delay = delay
        self.fail = fail or set()
        self.probe = probe
        self.sent: list[int] = []

    async def send(self, message: outbox.Outgoing) -> None:
        if self.probe:
            await self.probe(message)
        await asyncio.sleep(self.delay)
        if message.outbox_id in self.fail:
            raise ConnectionRefusedError(f"cannot reach the server for {message.recipient}")
        self.sent.append(message.outbox_id)


async def add_messages(conn, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    rows = await conn.fetch(
        "INSERT INTO outbox (recipient, subject, body)"
        " SELECT 'person' || g || '@example.org', '主题', '正文' FROM generate_series(1, $1) g"
        " RETURNING id",
        n,
    )
    return [r["id"] for r in rows]


async def drain(pool, transport) -> None:  # type: ignore[no-untyped-def]
    while await outbox.send_pending(pool, transport):
        pass


async def test_two_senders_never_send_the_same_message_and_hold_no_lock_while_sending(
    committed_db,
):
    a, b, probe = await committed_db.connect(3)
    ids = await add_messages(a, 2 * outbox.BATCH + 5)
    probing = asyncio.Lock()
    locked: list[int] = []

    async def lock_it(message: outbox.Outgoing) -> None:
        # Another session (staff, housekeeping) must not wait on a row while mail is sent. A
        # sender holding the row's lock during send would block this probe (it runs inside the
        # send) until lock_timeout; the other sender's claim statement may hold it for a few
        # milliseconds (a row rechecked under FOR UPDATE SKIP LOCKED), which is not "while
        # sending", so the probe waits up to a second rather than failing at once (NOWAIT).
        async with probing:
            try:
                async with probe.transaction():
                    await probe.execute("SET LOCAL lock_timeout = '1s'")
                    await probe.execute(
                        "SELECT id FROM outbox WHERE id = $1 FOR UPDATE", message.outbox_id
                    )
            except asyncpg.LockNotAvailableError:
                locked.append(message.outbox_id)

    one = Transport(delay=0.01, probe=lock_it)
    two = Transport(delay=0.01, probe=lock_it)
    await asyncio.gather(drain(SingleConnectionPool(a), one), drain(SingleConnectionPool(b), two))
    assert one.sent and two.sent, "both senders should have had work"
    assert not set(one.sent) & set(two.sent)
    assert sorted(one.sent + two.sent) == ids
    assert locked == [], "rows stayed locked while their message was being sent"
    left = await a.fetchval(
        "SELECT count(*) FROM outbox WHERE sent_at IS NULL OR claimed_until IS NOT NULL"
    )
    assert left == 0


async def test_a_claimed_batch_is_skipped_until_its_claim_runs_out(committed_db):
    a, b = await committed_db.connect(2)
    ids = await add_messages(a, 3)
    # A sender claims the batch and dies before marking it.
    claimed = await a.fetch(outbox.CLAIM_SQL, outbox.MAX_ATTEMPTS, outbox.BATCH, 1)
    assert sorted(r["id"] for r in claimed) == ids
    other = Transport()
    assert await outbox.send_pending(SingleConnectionPool(b), other) == 0
    await asyncio.sleep(1.1)
    await drain(SingleConnectionPool(b), other)
    assert sorted(other.sent) == ids


async def test_a_failing_transport_records_the_error_logs_it_and_retries_later(
    committed_db, caplog
):
    (conn,) = await committed_db.connect(1)
    bad, good = await add_messages(conn, 2)
    pool = SingleConnectionPool(conn)
    transport = Transport(fail={bad})
    with caplog.at_level(logging.WARNING, logger="registry"):
        assert await outbox.send_pending(pool, transport) == 1
    assert transport.sent == [good]
    row = await conn.fetchrow(
        "SELECT attempts, last_error, sent_at, next_attempt_at - now() AS wait"
        " FROM outbox WHERE id = $1",
        bad,
    )
    assert row["attempts"] == 1 and row["sent_at"] is None
    assert row["last_error"] == "ConnectionRefusedError"  # never the message: it has the address
    assert 55 <= row["wait"].total_seconds() <= 60
    assert f"outbox message {bad} not sent (ConnectionRefusedError, attempt 1 of 8)" in caplog.text
    assert "@example.org" not in caplog.text
    assert await conn.fetchval("SELECT count(*) FROM outbox WHERE claimed_until IS NOT NULL") == 0
    # Not due yet: the next round leaves it alone.
    assert await outbox.send_pending(pool, transport) == 0
    # Once due, it goes; the second failure waits twice as long.
    await conn.execute("UPDATE outbox SET next_attempt_at = now() WHERE id = $1", bad)
    await outbox.send_pending(pool, transport)
    wait = await conn.fetchval("SELECT next_attempt_at - now() FROM outbox WHERE id = $1", bad)
    assert 115 <= wait.total_seconds() <= 120
    transport.fail.clear()
    await conn.execute("UPDATE outbox SET next_attempt_at = now() WHERE id = $1", bad)
    await outbox.send_pending(pool, transport)
    row = await conn.fetchrow("SELECT attempts, sent_at FROM outbox WHERE id = $1", bad)
    assert row["attempts"] == 3 and row["sent_at"] is not None


async def test_a_hung_transport_is_cut_off_and_the_batch_goes_on(committed_db, monkeypatch):
    (conn,) = await committed_db.connect(1)
    hung, fine = await add_messages(conn, 2)
    monkeypatch.setattr(outbox, "SEND_TIMEOUT", 0.2, raising=False)

    class Hangs(Transport):
        async def send(self, message: outbox.Outgoing) -> None:
            if message.outbox_id == hung:
                await asyncio.sleep(3600)
            await super().send(message)

    transport = Hangs()
    async with asyncio.timeout(5):
        await outbox.send_pending(SingleConnectionPool(conn), transport)
    assert transport.sent == [fine]
    assert (
        await conn.fetchval("SELECT last_error FROM outbox WHERE id = $1", hung) == "TimeoutError"
    )


async def test_a_sender_cancelled_mid_batch_marks_what_went_out(committed_db):
    (conn,) = await committed_db.connect(1)
    first, second, third = await add_messages(conn, 3)
    gate = asyncio.Event()

    class Stalls(Transport):
        async def send(self, message: outbox.Outgoing) -> None:
            if message.outbox_id == second:
                gate.set()
                await asyncio.sleep(3600)
            await super().send(message)

    task = asyncio.create_task(outbox.send_pending(SingleConnectionPool(conn), Stalls()))
    await asyncio.wait_for(gate.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    rows = await conn.fetch("SELECT id, sent_at FROM outbox ORDER BY id")
    assert [(r["id"], r["sent_at"] is not None) for r in rows] == [
        (first, True),
        (second, False),
        (third, False),
    ]
    # The claims are released: the next sender takes the rest at once, not after the lease.
    assert await conn.fetchval("SELECT count(*) FROM outbox WHERE claimed_until IS NOT NULL") == 0


async def test_a_message_stored_as_data_is_rendered_when_sent(committed_db):
    """Kind + parameters rendered by the feature's renderer in the recipient's language; a row
    from before (subject and body) sends as stored; without a renderer it fails and waits."""
    (conn,) = await committed_db.connect(1)
    await outbox.enqueue(conn, outbox.Message("a@example.org", "test.hello", {"who": "张三"}))
    await outbox.enqueue(
        conn, outbox.Message("b@example.org", "test.hello", {"who": "Li"}, locale="en")
    )
    await add_messages(conn, 1)
    got: dict[str, tuple[str, str]] = {}

    async def keep(message: outbox.Outgoing) -> None:
        mail = email.message_from_bytes(message.data, policy=email.policy.default)
        got[message.recipient] = (mail["Subject"], mail.get_content().strip())

    def render(kind, params, locale):  # type: ignore[no-untyped-def]
        assert kind == "test.hello"
        return ("Hello", f"Hello {params['who']}") if locale == "en" else ("你好", params["who"])

    pool = SingleConnectionPool(conn)
    assert await outbox.send_pending(pool, Transport(), render=outbox._no_renderer) == 1
    failed = await conn.fetchval("SELECT count(*) FROM outbox WHERE last_error = 'LookupError'")
    assert failed == 2  # not lost: tried again later
    await conn.execute("UPDATE outbox SET next_attempt_at = now(), sent_at = NULL")
    assert await outbox.send_pending(pool, Transport(probe=keep), render=render) == 3
    assert got == {
        "a@example.org": ("你好", "张三"),
        "b@example.org": ("Hello", "Hello Li"),
        "person1@example.org": ("主题", "正文"),
    }
