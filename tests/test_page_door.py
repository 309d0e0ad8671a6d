"""PageDoor (registry/web/door.py) serves a public page its route has already served, before
routing: the same bytes and headers the route sends, only for the same path, query string,
mode, language and day, and only where the middleware would let the request through."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from registry.infra import clock
from registry.web.invalidation import list_changed
from registry.web.state import worker
from tests.test_page_cache_languages import CACHED

MARKER = b"<!doctype html><p>served by the door</p>"
VARIANTS = [
    {},
    {"accept-language": "zh-TW"},
    {"accept-language": "en", "cookie": "display=elder"},
    {"cookie": "lang=zh-Hant"},
]


def mark_doors(app) -> int:  # type: ignore[no-untyped-def]
    """Put MARKER in place of every page the door holds (same ETag): a response with MARKER
    was served by the door, not by the route."""
    doors = worker(app).pages.doors
    entries = list(doors._entries.items())
    for key, ((etag, _), _) in entries:
        doors.put(key, (etag, MARKER), doors.generation)
    return len(entries)


def without_date(response: httpx.Response) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers.multi_items() if k != "date"]


@pytest.mark.parametrize("path", CACHED)
@pytest.mark.parametrize("headers", VARIANTS)
async def test_the_door_sends_what_the_route_sent(client, app, path, headers):  # type: ignore[no-untyped-def]
    routed = await client.get(path, headers=headers)
    assert routed.status_code == 200
    served = await client.get(path, headers=headers)
    assert served.content == routed.content
    assert without_date(served) == without_date(routed)
    assert mark_doors(app) == 1
    assert (await client.get(path, headers=headers)).content == MARKER  # so the door sent it
    etag = routed.headers["etag"]
    again = await client.get(path, headers={**headers, "if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    head = await client.head(path, headers=headers)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(MARKER))
    assert head.headers["x-frame-options"] == "DENY"


async def test_a_304_from_the_door_has_the_routes_headers(client, app):  # type: ignore[no-untyped-def]
    first = await client.get("/certificates/retained")
    ask = {"if-none-match": first.headers["etag"]}
    worker(app).pages.doors.clear()  # the route answers this one
    routed = await client.get("/certificates/retained", headers=ask)
    served = await client.get("/certificates/retained", headers=ask)  # and the door this one
    assert routed.status_code == served.status_code == 304
    assert without_date(served) == without_date(routed)


async def test_the_door_keeps_variants_and_query_strings_apart(client, app):  # type: ignore[no-untyped-def]
    await client.get("/certificates/abolished?q=良民证")
    assert mark_doors(app) == 1
    # Another language, mode or query string, even one the route would read the same way,
    # goes to the route.
    for path, headers in [
        ("/certificates/abolished?q=良民证", {"accept-language": "en"}),
        ("/certificates/abolished?q=良民证", {"cookie": "display=elder"}),
        ("/certificates/abolished?q=良民证&page=1", {}),
        ("/certificates/abolished", {}),
        ("/certificates/abolished/", {}),
    ]:
        page = await client.get(path, headers=headers)
        assert page.content != MARKER, (path, headers)
    assert (await client.get("/certificates/abolished?q=良民证")).content == MARKER


async def test_a_list_change_or_a_new_day_empties_the_door(client, app, monkeypatch):  # type: ignore[no-untyped-def]
    first = await client.get("/")
    assert mark_doors(app) == 1
    list_changed(worker(app))
    assert (await client.get("/")).content == first.content
    assert mark_doors(app) == 1
    tomorrow = clock.utc_now() + dt.timedelta(days=1)
    monkeypatch.setattr(clock, "utc_now", lambda: tomorrow)
    assert (await client.get("/")).content != MARKER


@pytest.mark.parametrize(
    "path", ["/certificates/abolished?q=a%00b", "/certificates/abolished?q=%E8%89%AF%01"]
)
async def test_refused_input_is_never_at_the_door(client, app, path):  # type: ignore[no-untyped-def]
    for _ in range(2):
        refused = await client.get(path)
        assert refused.status_code == 400
    assert len(worker(app).pages.doors) == 0


async def test_pages_that_are_not_cached_are_not_at_the_door(client, app):  # type: ignore[no-untyped-def]
    for path in ["/complaints/new", "/staff/login", "/api/v1/certificates", "/track"]:
        for _ in range(2):
            await client.get(path)
    assert len(worker(app).pages.doors) == 0
