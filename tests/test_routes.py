"""Named routes: every route has a name, every url_for in templates and code names a route with
the parameters it takes, links are encoded, every public page renders, and forms redirect to
the named route (docs/architecture.md, "Named routes")."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from jinja2 import Environment, nodes
from litestar import Litestar
from litestar.exceptions import NoRouteMatchFoundException
from litestar.routes import HTTPRoute

from registry.checker import wording
from registry.infra.settings import PROJECT_ROOT
from registry.web.rendering import make_environment
from registry.web.urls import PARAM, Urls, urls_of, with_query
from tests.staff_helpers import login, make_user, post_form

AUDIENCES = ("public.", "api.", "staff.", "office.")
OWN_PREFIXES = ("/static", "/schema")  # Litestar's own routers: static files, the OpenAPI schema
WEB = PROJECT_ROOT / "registry" / "web"


def handlers(app: Litestar) -> Iterator[tuple[str, str, str | None]]:
    """(path, method, name) of every route handler we wrote."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(OWN_PREFIXES):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods - {"OPTIONS"}:
                yield route.path, method, handler.name


def test_every_route_has_a_unique_name_of_its_audience(app):
    found = list(handlers(app))
    assert len(found) > 50
    unnamed = [(path, method) for path, method, name in found if not name]
    assert not unnamed
    wrong = [name for _, _, name in found if not str(name).startswith(AUDIENCES)]
    assert not wrong
    names = [name for _, _, name in found]
    assert len(names) == len(set(names))


def url_for_calls(env: Environment, source: str) -> Iterator[tuple[str, frozenset[str]]]:
    """(name, path parameters) of every url_for('…', …) in a template's source."""
    for call in env.parse(source).find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "url_for":
            first = call.args[0]
            assert isinstance(first, nodes.Const), "url_for takes a literal name"
            yield first.value, frozenset(k.key for k in call.kwargs if k.key != "query")


def unknown(urls: Urls, calls: Iterator[tuple[str, frozenset[str]]]) -> list[str]:
    wrong = []
    for name, params in calls:
        try:
            urls(name, **dict.fromkeys(params, "x"))
        except NoRouteMatchFoundException as exc:
            wrong.append(str(exc))
    return wrong


def test_every_url_for_in_templates_names_a_route_with_its_parameters(app, settings):
    env = make_environment(settings.templates_dir)
    urls = Urls(app)
    used = set()
    for path in Path(settings.templates_dir).rglob("*.html"):
        calls = list(url_for_calls(env, path.read_text()))
        used.update(name for name, _ in calls)
        assert not unknown(urls, iter(calls)), path
    assert len(used) > 40
    # The check itself fails on a misspelt name or a parameter the route does not take.
    typo = "{{ url_for('public.certificat', code=c) }}{{ url_for('public.home', code=1) }}"
    assert len(unknown(urls, url_for_calls(env, typo))) == 2


def python_url_for_calls() -> Iterator[tuple[Path, str, frozenset[str]]]:
    """url_for(request, "…", …) in registry/web with a literal name."""
    for path in WEB.rglob("*.py"):
        for call in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(call, ast.Call) and getattr(call.func, "id", "") == "url_for"):
                continue
            if len(call.args) > 1 and isinstance(call.args[1], ast.Constant):
                params = frozenset(k.arg for k in call.keywords if k.arg)
                yield path, call.args[1].value, params


def test_every_url_for_in_code_names_a_route_with_its_parameters(app):
    urls = Urls(app)
    calls = list(python_url_for_calls())
    assert len(calls) > 15
    for path, name, params in calls:
        assert not unknown(urls, iter([(name, params)])), (path, name)


def test_path_values_are_encoded_and_queries_drop_empty_values(app):
    urls = urls_of(app)
    assert urls("public.certificate", code="A/B 1?") == "/certificates/A%2FB%201%3F"
    assert urls("staff.complaint", complaint_id=7) == "/staff/complaints/7"
    # User input cannot add a parameter or end the URL; a space is %20, a path stays readable.
    asked = {"name": "良民证&matter=x#y", "matter": None, "department": "", "next": "/staff/"}
    assert (
        urls("public.check", query=asked)
        == "/check?name=%E8%89%AF%E6%B0%91%E8%AF%81%26matter%3Dx%23y&next=/staff/"
    )
    assert with_query("/x", [("b", 2), ("a", "a b")]) == "/x?b=2&a=a%20b"
    assert with_query("/x", {"a": None}) == "/x"
    with pytest.raises(NoRouteMatchFoundException):
        urls("public.nope")
    with pytest.raises(NoRouteMatchFoundException):
        urls("public.certificate")  # its code is missing


def test_no_path_parameter_is_called_query(app):
    """`query=` is url_for's own keyword: a route taking a parameter of that name could not
    be reached through it."""
    for path, _, _ in handlers(app):
        assert "query" not in PARAM.findall(path)


def sample_path(path: str, values: dict[str, str]) -> str:
    return PARAM.sub(lambda m: values[m.group(1)], path)


def route_pattern(app: Litestar) -> re.Pattern[str]:
    paths = {route.path for route in app.routes}
    alternatives = (re.escape(p).replace(r"\{", "{").replace(r"\}", "}") for p in paths)
    return re.compile("|".join(PARAM.sub("[^/]+", a) for a in alternatives))


SWITCHES = {"/mode", "/lang"}


async def test_every_public_page_renders_and_links_only_to_routes(app, client, conn):
    code = await conn.fetchval("SELECT code FROM certificates ORDER BY code LIMIT 1")
    values = {"code": code, "filename": "all.csv", "reference": "CY-NOPE"}
    queries = {
        "/check": "?name=良民证",
        "/check/print": "?name=良民证",
        "/matter": "?name=新生儿出生登记（落户）",
    }
    known = route_pattern(app)
    seen = 0
    for path, method, name in handlers(app):
        if method != "GET" or not name.startswith("public.") or path == "/downloads/{filename:str}":
            continue
        r = await client.get(sample_path(path, values) + queries.get(path, ""))
        if path in SWITCHES:  # a preference switch answers by going back to the page
            assert r.status_code == 303 and r.headers["location"].startswith("/"), path
            continue
        assert r.status_code == 200, (path, r.status_code)
        if "html" not in r.headers.get("content-type", ""):
            continue
        seen += 1
        for link in re.findall(r'(?:href|action)="(/[^"#?]*)', r.text):
            assert link.startswith("/static/") or known.fullmatch(link), (path, link)
    assert seen >= 12


async def test_a_form_post_redirects_to_the_named_route(app, conn):
    await make_user(conn, "adm", "admin")
    target = await make_user(conn, "someone", "department", "CY-BM-001")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as adm:
        assert (await login(adm, "adm")).status_code == 303
        urls = urls_of(app)
        url = urls("office.user_change", user_id=target, change="unlock")
        r = await post_form(adm, url, {})
        assert r.status_code == 303
        assert r.headers["location"] == urls("office.users", query={"msg": "saved"})
        r = await post_form(adm, urls("office.user_change", user_id=target, change="x"), {})
        assert r.headers["location"] == urls("office.users", query={"msg": "unknown"})


def test_the_checkers_links_are_the_named_public_routes(app):
    """The checker builds the URLs of its answers itself (it may not import the web layer, and
    they are part of the JSON contract): they must still be the routes' paths."""
    urls = urls_of(app)
    assert wording.check_url("良民证", "就业").partition("?")[0] == urls("public.check")
    assert wording.matter_url("上户口").partition("?")[0] == urls("public.matter")
    assert wording.guide_url("上户口").partition("?")[0] == urls("public.matters")
    assert wording.complaint_url("良民证").partition("?")[0] == urls("public.complaint_new")
