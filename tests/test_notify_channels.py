"""A NOTIFY channel per concern (issue 13): each worker drops only what depends on the change.

A department or calendar edit leaves the checker's index object in place; a list edit still
drops it and the next answer is the new list's, within a second; a reconnect drops everything
(a NOTIFY may have been missed). Real commits, so the committed_db fixture (tests/twoconn.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx

from registry.catalogue import transfer
from registry.catalogue.models import Department
from registry.catalogue.queries import certificates as cq
from registry.catalogue.queries import departments as dq
from registry.infra import clock
from registry.infra.db import connect
from registry.infra.listen import CALENDAR, CHANNELS, DEPARTMENTS, LIST, RECORD, listen_for_changes
from registry.infra.settings import Settings
from registry.web import invalidation
from registry.web.app import create_app
from registry.web.state import worker
from tests.twoconn import (
    CommittedDatabase,
    committed_db_fixture,  # noqa: F401  (registers `committed_db`)
)

# Each table whose trigger NOTIFYs, a statement that fires it without changing a row, and the
# channel it must reach.
TRIGGERS = [
    ("UPDATE certificate_versions SET note = note WHERE false", LIST),
    ("UPDATE thesaurus_terms SET valid_to = valid_to WHERE false", LIST),
    ("UPDATE licences SET valid_to = valid_to WHERE false", LIST),
    ("UPDATE departments SET name = name WHERE false", DEPARTMENTS),
    ("UPDATE calendar_overrides SET note = note WHERE false", CALENDAR),
    ("UPDATE calendar_years SET notice = notice WHERE false", CALENDAR),
    ("UPDATE list_record SET official = official WHERE false", RECORD),
]


async def _until(condition: Callable[[], object], seconds: float) -> None:
    """Poll: the handlers under test are plain functions, not events we could await."""
    async with asyncio.timeout(seconds):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)


async def test_every_table_notifies_its_own_channel_and_the_listener_hears_each(seeded):
    heard: list[str] = []
    handlers = {c: (lambda c=c: heard.append(c)) for c in CHANNELS}
    task = asyncio.create_task(listen_for_changes(seeded, handlers, lambda: heard.append("*")))
    conn = await connect(seeded)
    try:
        await _until(lambda: heard, 5)
        for statement, channel in TRIGGERS:
            heard.clear()
            sent = time.monotonic()
            await conn.execute(statement)
            await _until(lambda: heard, 1)
            assert time.monotonic() - sent < 1.0, statement
            await asyncio.sleep(0.05)  # nothing else arrives
            assert heard == [channel], statement
    finally:
        await conn.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _check_url(**params: str) -> str:
    return str(httpx.URL("/api/v1/check", params=params))


async def test_a_department_edit_keeps_the_checker_index_and_a_list_edit_drops_it(
    committed_db: CommittedDatabase, settings: Settings
):
    pool = await committed_db.pool(4)
    app = create_app(settings, pool=pool)
    state = worker(app)
    connects: list[float] = []

    def connected() -> None:
        invalidation.everything_changed(state)
        connects.append(time.monotonic())

    listener = asyncio.create_task(
        listen_for_changes(committed_db.dsn, invalidation.handlers(state), connected)
    )
    (conn,) = await committed_db.connect(1)
    transport = httpx.ASGITransport(app=app)
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    try:
        await _until(lambda: connects, 5)
        asked = _check_url(name="良民证", matter="找工作")
        before = (await client.get(asked)).json()
        assert before["verdict"] == "abolished"
        index = state.lookup.ready(None)
        assert index is not None

        # A department renamed (the SQL `registry import-departments` uses), committed.
        state.department_codes = {"stale"}
        await client.get("/check", params={"name": "良民证"})  # fills state.departments
        assert state.departments
        pages = state.pages.generation
        dep = next(d for d in await dq.list_departments(conn) if d.kind == "county")
        renamed = Department(code=dep.code, name=dep.name + "（新名）", kind=dep.kind)
        assert await dq.upsert_department(conn, renamed)
        await _until(lambda: state.departments is None, 1)
        assert state.department_codes is None and state.pages.generation != pages
        assert state.lookup.ready(None) is index  # the same object: nothing was rebuilt
        assert await state.lookup.index(pool, clock.today()) is index
        assert (await client.get(asked)).json() == before
        page = (await client.get("/check", params={"name": "良民证"})).text
        assert renamed.name in page  # the page shows the new name at once

        # A calendar correction, committed: only the deadlines' copy goes.
        state.calendar, state.deadlines = {}, (clock.today(), (clock.today(), clock.today()))
        pages = state.pages.generation
        await conn.execute(
            "INSERT INTO calendar_overrides (day, workday, note) VALUES ('2031-01-06', false, 't')"
        )
        await _until(lambda: state.calendar is None, 1)
        assert state.deadlines is None  # worked out from the old calendar
        assert state.lookup.ready(None) is index and state.pages.generation == pages

        # A list edit, committed: every worker drops the index; the next answer is the new list's.
        old = await cq.get_latest(conn, "CY-ZM-014")
        assert old is not None
        cells = transfer.to_cells(old)
        header = [zh for _, zh in transfer.COLUMNS]
        retained = {
            "状态": "保留",
            "设定依据": "《中华人民共和国某法》第一条",
            "依据层级": "法律",
            "办理方式类型": "",  # a retained item has no replacement
            "生效日期": clock.today().isoformat(),
        }
        for column, value in retained.items():
            cells[header.index(column)] = value
        sent = time.monotonic()
        table = [header, cells]
        assert (await transfer.import_table(conn, table, apply=True, actor="test")).applied
        await _until(lambda: state.lookup.ready(None) is not index, 1)
        after = (await client.get(asked)).json()
        assert time.monotonic() - sent < 1.0
        assert after["verdict"] != "abolished"  # now retained (which matters: not ours to test)
        assert state.lookup.ready(None) is not index

        # A lost connection: on reconnecting, everything is dropped.
        index = state.lookup.ready(None)
        state.department_codes, state.calendar = {"stale"}, {}
        pages, count = state.pages.generation, len(connects)
        killed = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = 'registry-listener' AND datname = current_database()"
        )
        assert killed == 1
        await _until(lambda: len(connects) > count, 5)
        assert state.department_codes is None and state.calendar is None
        assert state.pages.generation != pages and state.lookup.ready(None) is None
        assert index is not None
    finally:
        await client.aclose()
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
