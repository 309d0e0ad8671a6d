"""Per-worker indexes: a large list is built in a child process and arrives the same."""

from __future__ import annotations

import datetime as dt

from registry import lookup
from registry.checker import Question, decide
from registry.db import SingleConnectionPool


async def test_an_index_built_in_a_child_equals_one_built_here(seeded, conn, monkeypatch):
    today = dt.date.today()
    here = await lookup.Lookup().index(SingleConnectionPool(conn), today)
    monkeypatch.setattr(lookup, "CHILD_FROM", 1)  # the seed list counts as large
    builds = []
    real = lookup._build_in_child

    async def spy(dsn: str, on: dt.date):  # type: ignore[no-untyped-def]
        builds.append(on)
        return await real(dsn, on)

    monkeypatch.setattr(lookup, "_build_in_child", spy)
    child = await lookup.Lookup(seeded).index(SingleConnectionPool(conn), today)
    assert builds == [today] and child.codes == here.codes
    assert [child.items[n] for n in range(len(child))] == [here.items[n] for n in range(len(here))]
    for name in ("良民证", "無犯罪記錄證明", "wfzjlzm", "出生医学证明", "户口本复印件"):
        q = Question(name=name)
        assert decide(q, child) == decide(q, here), name


async def test_large_indexes_are_kept_by_size_and_todays_always(conn, monkeypatch):
    monkeypatch.setattr(lookup, "MAX_ITEMS", 200)  # the seed list (173) fits once, not twice
    lk = lookup.Lookup()
    pool = SingleConnectionPool(conn)
    await lk.index(pool, dt.date(2026, 1, 1))
    await lk.index(pool, dt.date(2026, 1, 2))
    assert list(lk._indexes) == [dt.date(2026, 1, 2)]
    today = dt.date.today()
    await lk.index(pool, today)
    other = await lk.index(pool, dt.date(2025, 6, 1))  # answered, but not kept
    assert len(other) and list(lk._indexes) == [today]
