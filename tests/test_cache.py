"""The worker's caches hold the parsed question, within a byte budget, and sit behind the
allowed-hosts check (probe findings H2 and L1)."""

from __future__ import annotations

import httpx
import pytest

from registry.infra.db import SingleConnectionPool
from registry.infra.settings import Settings
from registry.web import views
from registry.web.app import create_app
from registry.web.routes.public import pages
from registry.web.state import worker

JUNK = "a" * 5000


def test_the_byte_bound_evicts_the_least_recently_used():
    from registry.infra.cache import ENTRY_OVERHEAD, BoundedCache

    cache: BoundedCache[bytes] = BoundedCache(3 * (ENTRY_OVERHEAD + 101), 10_000, len, max_key=50)
    for k in (b"a", b"b", b"c"):
        assert cache.put(k, b"x" * 100, cache.generation)
    assert cache.get(b"a")  # now b is the least recently used
    assert cache.put(b"d", b"x" * 100, cache.generation)
    assert b"b" not in cache and [k in cache for k in (b"a", b"c", b"d")] == [True] * 3
    assert cache.nbytes == 3 * (ENTRY_OVERHEAD + 101) and len(cache) == 3
    assert cache.put(b"big", b"x" * 400, cache.generation)  # bigger than two: both go
    assert len(cache) == 2 and cache.nbytes <= cache.max_bytes
    assert not cache.put(b"huge", b"x" * 10_000, cache.generation)  # over max_entry
    assert not cache.put(b"k" * 51, b"x", cache.generation)  # key over max_key
    stale = cache.generation
    cache.clear()
    assert not cache.put(b"late", b"x", stale)  # worked out before the list changed
    assert len(cache) == 0 and cache.nbytes == 0


@pytest.fixture
def worked(monkeypatch):  # type: ignore[no-untyped-def]
    """How many verdicts and pages were worked out rather than served from a cache."""
    counts = {"verdicts": 0, "pages": 0}
    check, render = views.check, pages.render_page

    async def counted_check(*args, **kwargs):  # type: ignore[no-untyped-def]
        counts["verdicts"] += 1
        return await check(*args, **kwargs)

    def counted_render(*args, **kwargs):  # type: ignore[no-untyped-def]
        counts["pages"] += 1
        return render(*args, **kwargs)

    monkeypatch.setattr(views, "check", counted_check)
    monkeypatch.setattr(pages, "render_page", counted_render)
    return counts


async def ask(client, query: str, status: int = 200, **headers: str) -> httpx.Response:
    r = await client.get("/api/v1/check?" + query, headers=headers)
    assert r.status_code == status, r.text
    return r


async def test_junk_parameters_do_not_grow_the_answer_cache(client, app, worked):
    answers = worker(app).lookup.answers
    first = await ask(client, "name=良民证")
    for n in range(20):
        again = await ask(client, f"name=良民证&j{n}={JUNK}&utm_source=x{n}")
        assert again.content == first.content
    assert worked["verdicts"] == 1 and len(answers) == 1
    size = answers.nbytes
    await ask(client, f"name=良民证&j={JUNK}")
    assert answers.nbytes == size < 4096


async def test_long_query_strings_do_not_stay_in_litestars_memos(client, app, monkeypatch):
    from litestar._parsers import parse_query_string

    # As if no list were in memory yet: the handler, not the door, answers and parses them.
    monkeypatch.setattr(worker(app).lookup, "ready", lambda on: None)
    for n in range(5):
        await ask(client, f"name=证明{n}&j={JUNK}")
    assert parse_query_string.cache_info().currsize == 0
    await ask(client, "name=证明")
    assert parse_query_string.cache_info().currsize == 1  # short ones are kept as before


async def test_parameter_order_and_spelling_of_the_date_map_to_one_key(client, app, worked):
    a = await ask(client, "name=出生医学证明&matter=落户&on=2026-01-05")
    b = await ask(client, "on=20260105&matter=落户&name=出生医学证明")
    c = await ask(client, "matter=落户&name=%20出生医学证明%20&on=2026-01-05")
    assert a.content == b.content == c.content
    assert worked["verdicts"] == 1 and len(worker(app).lookup.answers) == 1


async def test_a_long_name_is_answered_but_not_stored(client, app, worked):
    answers = worker(app).lookup.answers
    await ask(client, "name=良民证")
    padded = await ask(client, "name=良民证" + "+" * 20_000)  # answered as the short question
    assert padded.json()["verdict"] == "abolished"
    long = await ask(client, "name=" + "良" * 3000, status=400)  # refused, and not remembered
    assert long.json()["errors"][0]["field"] == "name"
    assert len(answers) == 1 and worked["verdicts"] == 1


async def test_pages_are_keyed_on_the_parameters_they_use(client, app, worked):
    pages = [  # the first one renders the page that all of them get
        f"/certificates/abolished?page=1&q=%20良民证&x={JUNK}",
        "/certificates/abolished?q=良民证&page=1",
        f"/certificates/abolished?q=良民证&j1={JUNK}&j2=1",
    ]
    bodies = {(await client.get(p)).text for p in pages}
    assert len(bodies) == 1 and worked["pages"] == 1
    assert JUNK[:50] not in bodies.pop()
    checks = [f"/check?z={JUNK}&name=良民证", "/check?name=良民证", "/check?name=良民证&a=1"]
    bodies = {(await client.get(p)).text for p in checks}
    assert len(bodies) == 1 and worked["pages"] == 2
    assert JUNK[:50] not in bodies.pop()  # its link to the JSON twin is the parsed question
    assert len(worker(app).pages.pages) == 2


async def test_the_door_applies_the_input_guards_rule_to_remembered_questions(client):
    await ask(client, "name=良民证")
    bad = await ask(client, "name=良民证&x=a%00b", status=400)  # as on a first asking
    assert bad.json()["errors"][0]["field"] == "x"


def test_the_door_knows_every_app_middleware():
    """AnswerDoor and PageDoor answer before the app's middleware and apply their rules
    themselves (host, control characters): a new middleware must be taught to both, and added
    here."""
    from registry.web.app import middleware
    from registry.web.door import HostGate
    from registry.web.inputguard import InputGuard

    settings = Settings(allowed_hosts=["registry.example"])
    kinds = [getattr(m, "middleware", m) for m in middleware(settings)]
    assert kinds == [HostGate, InputGuard]
    assert [getattr(m, "middleware", m) for m in middleware(Settings())] == [InputGuard]


@pytest.fixture
async def hosts(conn):  # type: ignore[no-untyped-def]
    settings = Settings(listen_for_changes=False, allowed_hosts=["registry.example"])
    app = create_app(settings, pool=SingleConnectionPool(conn))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.example") as c:
        yield c


@pytest.mark.parametrize("path", ["/api/v1/check?name=良民证", "/check?name=良民证", "/"])
async def test_allowed_hosts_hold_on_a_repeated_question(hosts, path):
    for _ in range(2):  # the first asking fills the caches
        ok = await hosts.get(path)
        assert ok.status_code == 200
    for method in ("GET", "HEAD"):
        bad = await hosts.request(method, path, headers={"host": "evil.test"})
        assert bad.status_code == 400, (method, bad.text)
        assert bad.headers["x-frame-options"] == "DENY"  # the security headers too
        if method == "GET" and path.startswith("/api/"):
            body = bad.json()
            assert body["status"] == 400 and body["error"] and body["errors"] == []
        if method == "HEAD":
            assert bad.content == b""
    head = await hosts.head(path)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(ok.content)


async def test_a_refused_host_gets_the_error_shape_on_first_asking(hosts):
    bad = await hosts.get("/api/v1/check?name=zz", headers={"host": "evil.test"})
    assert bad.status_code == 400
    assert set(bad.json()) == {"status", "error", "errors"}
    page = await hosts.get("/certificates/abolished", headers={"host": "evil.test"})
    assert page.status_code == 400 and "text/html" in page.headers["content-type"]


# Query strings whose splitting or parsing could differ between the door and the route.
ODD_QUERIES = [
    "name=良民证",
    "name=良民证;matter=落户",  # ";" is no separator for Litestar
    "name=%E8%89%AF%E6%B0%91%E8%AF%81&on=2026-01-05",
    "name=+良民证+&department=&matter=",
    "name=良民证%26matter%3D落户",
    "name=a+b%2Bc",
    "name=良民证%FF",
    "name=良民证&name=无犯罪记录证明",  # the door leaves a repeated parameter to the route
    "NAME=良民证",
    "name",
    "name=良民证&on=2026-13-01",
]


@pytest.mark.parametrize("query", ODD_QUERIES)
async def test_the_door_answers_what_the_route_answers(client, app, query):
    door, app.door = app.door, None
    routed = await client.get("/api/v1/check?" + query)
    app.door = door
    answered = await client.get("/api/v1/check?" + query)
    assert (answered.status_code, answered.content) == (routed.status_code, routed.content)


def test_the_door_reads_the_check_routes_parameters():
    """The door passes parse_question what the routes pass it: their query parameters."""
    import inspect

    from registry.web import door
    from registry.web.routes import api

    for handler in (api.check, pages.check):
        params = set(inspect.signature(handler.fn).parameters) - {"request"}
        assert params == door.QUESTION, handler
