"""Per-worker indexes: one per list actually in force (dates with the same list share it), a
large list's other dates answered in a child, today's never waiting behind another date."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import httpx
import msgspec
import pytest

from registry.checker import lookup
from registry.checker.decide import Question, decide
from registry.checker.pastdates import RETRY_AFTER_S
from registry.infra import clock
from registry.infra.db import SingleConnectionPool
from registry.infra.settings import Settings
from registry.web.app import create_app
from registry.web.state import worker

SEED_FROM = dt.date(2018, 12, 28)  # every seed item takes effect then
BEFORE = dt.date(2018, 6, 1)  # the list did not exist yet: another (empty) list


async def add_item(conn, code: str, valid_from: dt.date) -> None:  # type: ignore[no-untyped-def]
    await conn.execute("INSERT INTO certificates (code) VALUES ($1)", code)
    await conn.execute(
        "INSERT INTO certificate_versions (code, valid_from, name, status, changed_by)"
        " VALUES ($1, $2, $3, 'abolished', 'test')",
        code,
        valid_from,
        f"测试证明{code}",
    )


async def test_an_index_built_in_a_child_equals_one_built_here(seeded, conn, monkeypatch):
    today = clock.today()
    here = await lookup.Lookup().index(SingleConnectionPool(conn), today)
    monkeypatch.setattr(lookup, "CHILD_FROM", 1)  # the seed list counts as large
    builds = []
    real = lookup._build_in_child

    async def spy(dsn: str, on: dt.date):  # type: ignore[no-untyped-def]
        builds.append(on)
        return await real(dsn, on)

    monkeypatch.setattr(lookup, "_build_in_child", spy)
    child = await lookup.Lookup(seeded).index(SingleConnectionPool(conn), today)
    assert builds == [SEED_FROM] and child.codes == here.codes
    assert [child.items[n] for n in range(len(child))] == [here.items[n] for n in range(len(here))]
    for name in ("良民证", "無犯罪記錄證明", "wfzjlzm", "出生医学证明", "户口本复印件"):
        q = Question(name=name)
        assert decide(q, child) == decide(q, here), name


async def test_a_large_lists_other_dates_are_answered_in_a_child_not_kept_here(
    seeded, conn, monkeypatch
):
    """Only the answer comes back: no index of another date enters the worker."""
    monkeypatch.setattr(lookup, "CHILD_FROM", 1)
    monkeypatch.setattr(lookup, "_build_in_child", None)  # today's index must not be needed
    lk = lookup.Lookup(seeded)
    pool = SingleConnectionPool(conn)
    try:
        old = await lk.verdict(pool, Question(name="良民证"), BEFORE, client="a")
        assert old.verdict == "unlisted" and old.certificate is None
        assert await lk.search(pool, "良民证", BEFORE, client="a") == []
        assert not lk._indexes and lk.gate.count == 0
    finally:
        lk.close()
    # The child's answer is the same bytes as one worked out here.
    from registry.checker.pastdates import PastLists

    here = await lookup.Lookup().index(pool, clock.today())
    past = PastLists(seeded)
    try:
        q = Question(name="良民证", matter="就业")
        body = await past.ask(0, SEED_FROM, "decide", q)
        assert body == msgspec.json.encode(decide(q, here))
        assert past.holds(0, SEED_FROM) and not past.holds(1, SEED_FROM)
    finally:
        past.close()


async def test_dates_with_the_same_list_share_one_index(conn, monkeypatch):
    built = []
    real = lookup.Index

    def spy(certs, on, *vocab):  # type: ignore[no-untyped-def]
        built.append(on)
        return real(certs, on, *vocab)

    monkeypatch.setattr(lookup, "Index", spy)
    lk = lookup.Lookup()
    pool = SingleConnectionPool(conn)
    q = Question(name="良民证")
    for day in (None, dt.date(2026, 1, 1), dt.date(2024, 5, 6), clock.today(), SEED_FROM):
        assert (await lk.verdict(pool, q, day)).verdict == "abolished"
    assert (await lk.verdict(pool, q, BEFORE)).verdict == "unlisted"
    assert (await lk.verdict(pool, q, dt.date(1990, 1, 1))).verdict == "unlisted"
    assert len(built) == 2  # the seed list, and the empty one before it


async def test_large_indexes_are_kept_by_size_and_todays_always(conn, monkeypatch):
    await add_item(conn, "T-2020", dt.date(2020, 1, 1))  # three lists: 173, 174, 175 items
    await add_item(conn, "T-2021", dt.date(2021, 1, 1))
    monkeypatch.setattr(lookup, "MAX_ITEMS", 200)  # one of them fits, not two
    lk = lookup.Lookup()
    pool = SingleConnectionPool(conn)
    await lk.index(pool, dt.date(2019, 1, 1))
    await lk.index(pool, dt.date(2020, 6, 1))
    assert list(lk._indexes) == [dt.date(2020, 1, 1)]
    await lk.index(pool, clock.today())
    other = await lk.index(pool, dt.date(2019, 6, 1))  # answered, but not kept
    assert len(other) == 173 and list(lk._indexes) == [dt.date(2021, 1, 1)]


@pytest.fixture
def held(monkeypatch):  # type: ignore[no-untyped-def]
    """Builds of lists before the seed's hang until released (at most 5 s)."""
    entered, release = threading.Event(), threading.Event()
    real = lookup.Index

    def slow(certs, on, *vocab):  # type: ignore[no-untyped-def]
        if on < SEED_FROM:
            entered.set()
            release.wait(5)
        return real(certs, on, *vocab)

    monkeypatch.setattr(lookup, "Index", slow)
    yield entered, release
    release.set()


def client_for(app, address: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def fresh_app(conn):  # type: ignore[no-untyped-def]
    """An app whose indexes are not built yet, as after a worker starts."""
    return create_app(Settings(listen_for_changes=False), pool=SingleConnectionPool(conn))


async def waiting(app, n: int) -> None:  # type: ignore[no-untyped-def]
    """Until n questions about other dates wait in the app's gate."""
    gate = worker(app).lookup.gate  # (7710f2a had none: it let all wait)
    async with asyncio.timeout(5):
        while gate is not None and gate.count < n:  # noqa: ASYNC110 (a counter, no event to wait on)
            await asyncio.sleep(0.01)


async def test_todays_answer_does_not_wait_for_another_dates_build(conn, held):
    entered, release = held
    async with client_for(fresh_app(conn), "127.0.0.9") as c:
        old = asyncio.ensure_future(c.get("/api/v1/check", params={"name": "良民证", "on": BEFORE}))
        assert await asyncio.to_thread(entered.wait, 5)
        today = await asyncio.wait_for(c.get("/api/v1/check", params={"name": "良民证"}), 4)
        assert today.status_code == 200 and today.json()["verdict"] == "abolished"
        assert not old.done()  # still building: today's answer did not wait for it
        release.set()
        assert (await old).json()["verdict"] == "unlisted"


async def test_other_dates_beyond_the_per_client_limit_and_the_queue_are_refused(
    conn, held, monkeypatch
):
    entered, release = held
    monkeypatch.setattr(lookup, "PAST_WAITING", 3, raising=False)
    app = fresh_app(conn)
    ask = {"name": "良民证", "on": BEFORE}
    async with (
        client_for(app, "127.0.0.9") as one,
        client_for(app, "127.0.0.10") as two,
        client_for(app, "127.0.0.11") as three,
    ):
        first = [asyncio.ensure_future(one.get("/api/v1/check", params=ask)) for _ in range(2)]
        assert await asyncio.to_thread(entered.wait, 5)
        await waiting(app, 2)
        over = await one.get("/api/v1/check", params=ask)  # this client's third at once
        assert over.status_code == 429 and over.headers["retry-after"]
        body = over.json()
        assert body["status"] == 429 and body["error"] and body["errors"] == []
        page = asyncio.ensure_future(two.get("/check", params=ask))  # the page waits too
        await waiting(app, 3)
        full = await three.get("/api/v1/check", params=ask)  # the queue holds 3
        assert full.status_code == 503 and full.headers["retry-after"] == str(RETRY_AFTER_S)
        assert full.json()["status"] == 503 and full.json()["errors"] == []
        release.set()
        assert [(await r).status_code for r in (*first, page)] == [200, 200, 200]
        again = await three.get("/api/v1/check", params={"name": "户口证明", "on": BEFORE})
        assert again.status_code == 200  # built now: no waiting, no limit
