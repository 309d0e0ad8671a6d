"""What a worker keeps is one typed object (issue 13): registry.web.state.Worker, carried as
`app.worker`, and each NOTIFY channel's handler drops exactly what depends on its concern."""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from typing import Any

import msgspec
import pytest
from litestar import Litestar

from registry.infra import clock, listen
from registry.infra.worker import base_of
from registry.web import invalidation, views
from registry.web.state import Worker, worker

# What each change must drop; everything else must survive as the same object.
DROPS = {
    listen.LIST: {"index", "answers", "pages"},
    listen.DEPARTMENTS: {"pages", "departments", "department_codes"},
    listen.CALENDAR: {"calendar", "deadlines"},
    listen.RECORD: {"pages"},
}
EVERYTHING = set().union(*DROPS.values())


def test_the_app_keeps_one_typed_object_and_nothing_in_litestars_bag(app):
    kept = worker(app)
    assert isinstance(kept, Worker) and app.worker is kept
    assert base_of(app) is kept  # what the layers below the web read (the session lookup)
    assert app.state.dict() == {}  # no untyped keys beside it
    with pytest.raises(AttributeError):
        kept.lokup = kept.lookup  # type: ignore[attr-defined]  # a misspelt field fails loudly
    hints = typing.get_type_hints(Worker)
    assert {f.name for f in dataclasses.fields(Worker)} <= hints.keys()
    assert all(hints[f.name] is not Any for f in dataclasses.fields(Worker))


def test_an_app_without_a_worker_is_refused():
    with pytest.raises(TypeError):
        worker(Litestar(route_handlers=[]))


def test_a_worker_before_its_pool_says_so(settings):
    from registry.web.app import create_app

    kept = worker(create_app(settings))  # servers: the pool comes with the lifespan
    with pytest.raises(RuntimeError, match="pool"):
        kept.pool  # noqa: B018
    assert kept.list_notice()  # not known yet: the reconstruction notice shows


async def _fill(kept: Worker) -> dict[str, object]:
    """Every cache filled; returns each one's current object (or a marker of its contents)."""
    today = clock.today()
    await kept.lookup.index(kept.pool, today)
    kept.lookup.remember(b"question", b"answer", kept.lookup.generation)
    kept.pages.pages.put(b"page", ('"etag"', b"<html>"), kept.pages.generation)
    await views.departments(kept)
    kept.department_codes = {d.code for d in kept.departments or []}
    kept.calendar, kept.deadlines = {}, (today, (today, today))
    return _seen(kept)


def _seen(kept: Worker) -> dict[str, object]:
    return {
        "index": kept.lookup.ready(None),
        "answers": kept.lookup.answers.get(b"question"),
        "pages": kept.pages.pages.get(b"page"),
        "departments": kept.departments,
        "department_codes": kept.department_codes,
        "calendar": kept.calendar,
        "deadlines": kept.deadlines,
    }


@pytest.mark.parametrize("channel", [*DROPS, "reconnect"])
async def test_each_change_drops_exactly_what_depends_on_it(app, channel):
    kept = worker(app)
    before = await _fill(kept)
    assert all(v is not None for v in before.values())
    record, lookup, pages = kept.record, kept.lookup, kept.pages
    if channel == "reconnect":
        invalidation.everything_changed(kept)
        dropped = EVERYTHING
    else:
        invalidation.handlers(kept)[channel]()
        dropped = DROPS[channel]
    after = _seen(kept)
    assert {k for k, v in after.items() if v is None} == dropped
    for name in before.keys() - dropped:
        assert after[name] is before[name], name  # the same object: nothing was rebuilt
    # The containers themselves stay: only their contents go.
    assert (kept.record, kept.lookup, kept.pages) == (record, lookup, pages)


async def test_a_route_reads_what_the_worker_keeps(app, client):
    """The departments the verdict page offers come from the worker's copy: a stale copy
    shows until the departments' channel drops it."""
    kept = worker(app)
    real = await views.departments(kept)
    assert real, "the seed has departments"
    stale = msgspec.structs.replace(real[0], name="旧名称部门")
    kept.departments = [stale]
    assert "旧名称部门" in (await client.get("/check", params={"name": "良民证"})).text
    invalidation.departments_changed(kept)
    assert "旧名称部门" not in (await client.get("/check", params={"name": "良民证"})).text


def test_deadlines_are_worked_out_again_after_a_calendar_change(app):
    kept = worker(app)
    kept.calendar = {}
    kept.deadlines = (dt.date(2000, 1, 3), (dt.date(2000, 1, 4), dt.date(2000, 1, 5)))
    invalidation.calendar_changed(kept)
    assert kept.calendar is None and kept.deadlines is None
