"""A public record the office can stand behind (issue 11, item 2): no internal names in any
public answer, a public reason for every change, the lists by date, the reconstruction notice."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import httpx
import pytest

from registry.catalogue import transfer
from registry.catalogue.models import Certificate, Status
from registry.catalogue.queries import certificates as cq
from registry.catalogue.queries import imports as iq
from registry.infra import clock
from registry.web import invalidation, list_forms
from registry.web.invalidation import list_changed
from registry.web.state import worker
from tests.staff_helpers import csrf, login, make_user, post_form

TODAY = clock.today()
# Canaries: staff names and a file name that must never reach a public page.
CANARY_USER = "canaryclerk7q"
CANARY_DISPLAY = "金丝雀科员"
CANARY_FILE = "canaryfile9z.csv"
NOTICE = "县政府公布的正式清单还没有导入"


async def staff_client(app, conn, username: str) -> httpx.AsyncClient:
    await make_user(conn, username, "supervisor")
    await conn.execute(
        "UPDATE users SET display_name = $2 WHERE username = $1", username, CANARY_DISPLAY
    )
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    assert (await login(c, username)).status_code == 303
    return c


async def edit(client, conn, code: str, **over) -> httpx.Response:
    r = await client.get(f"/staff/list/{code}")
    expected = re.search(r'name="expected" value="(\d+)"', r.text).group(1)
    values = list_forms.values_of(await cq.get_latest(conn, code)) | {"expected": expected}
    values |= {"decision_doc": "长政办〔2026〕2号", "effective_from": str(TODAY), "reason": "测试"}
    return await post_form(client, f"/staff/list/{code}", values | over)


async def upload(client, name: str, *certs: Certificate) -> str:
    token = await csrf(client)
    body = transfer.export_csv(certs)
    r = await client.post(
        "/staff/list/import", data={"_csrf_token": token}, files={"file": (name, body)}
    )
    assert r.status_code == 303, r.text[:1000]
    return r.headers["location"]


# ---- a public reason for every change ---------------------------------------------------------


async def test_an_edit_with_an_empty_reason_is_refused_with_the_field_named(app, conn):
    sup = await staff_client(app, conn, "sup1")
    code = await conn.fetchval("SELECT min(code) FROM certificates")
    r = await edit(sup, conn, code, note="新的备注", reason="")
    assert r.status_code == 422
    assert "变更理由" in r.text and 'id="reason-error"' in r.text
    assert "新的备注" in r.text  # the input is kept
    assert (await cq.get_latest(conn, code)).note != "新的备注"
    await sup.aclose()


async def test_an_import_with_an_empty_reason_is_refused_and_nothing_is_written(app, conn):
    sup = await staff_client(app, conn, "sup2")
    where = await upload(
        sup, "list.csv", Certificate(code="", name="无理由", status=Status.ABOLISHED)
    )
    r = await post_form(sup, where + "/apply", {"reason": "  ", "official": "yes"})
    assert r.status_code == 422
    assert 'id="reason-error"' in r.text and "请填写变更理由" in r.text
    assert 'name="official" value="yes" checked' in r.text  # the choice is kept
    assert "无理由" not in await cq.codes_by_name(conn)
    assert await iq.list_official(conn) is False
    await sup.aclose()


# ---- no internal names in public answers ------------------------------------------------------


class _Text(HTMLParser):
    """The text a reader sees, and every attribute value except links (a page's own URLs)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            own = k in ("href", "action", "src") or k.startswith("xmlns")
            (self.links if own else self.parts).append(v or "")

    def handle_data(self, data):
        self.parts.append(data)


def _json_strings(value, key: str = ""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _json_strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _json_strings(v, key)
    elif isinstance(value, str) and not key.endswith("url"):
        yield value


# Routes that answer only a question.
SWITCHES = {"/lang", "/mode"}  # the header's 长辈版 and language switches
QUERIES = {
    "/check": "?name=良民证",
    "/api/v1/check": "?name=良民证&matter=就业",
    "/check/print": "?name=良民证&matter=就业",
    "/matter": "?name=户口投靠",  # the matter of the item edited below
    "/api/v1/matter": "?name=户口投靠",
}


async def public_urls(app, conn) -> list[str]:
    """Every public GET route of the app's route table, path parameters filled in: every item
    page (also dated), every download; the feeds; the JSON twins."""
    urls: set[str] = set()
    codes = [r["code"] for r in await conn.fetch("SELECT code FROM certificates ORDER BY code")]
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "GET" not in handler.http_methods or handler.opt.get("policy") != "public":
                continue  # not public: staff pages, departments' token API
            path = route.path
            if path.startswith(("/staff", "/schema", "/static")) or "/staff" in path:
                continue
            if "{" not in path:
                urls.add(path + QUERIES.get(path, ""))
            elif path == "/certificates/{code:str}":
                for code in codes:
                    urls |= {f"/certificates/{code}", f"/certificates/{code}?on=2018-12-28"}
            elif path == "/certificates/{code:str}/card":
                urls |= {f"/certificates/{code}/card" for code in codes}
            elif path == "/api/v1/certificates/{code:str}":
                urls |= {f"/api/v1/certificates/{code}" for code in codes}
            elif path == "/downloads/{filename:str}":
                urls |= {f"/downloads/{f}" for f in ("all.csv", "retained.csv", "abolished.csv")}
    urls |= {
        "/api/v1/certificates?per_page=200",
        "/api/v1/changes?per_page=200",
        "/certificates/retained?on=2018-12-28",
        "/certificates/abolished?on=2018-12-28",
    }
    return sorted(urls)


async def test_no_public_answer_names_staff_files_or_the_seed(app, conn, client):
    boss = await staff_client(app, conn, CANARY_USER)
    code = await conn.fetchval(
        "SELECT min(code) FROM certificate_versions WHERE status = 'abolished'"
    )
    assert (await edit(boss, conn, code, note="已改为部门间核查")).status_code == 303
    latest = await cq.get_latest(conn, code)
    latest.issuer, latest.effective_from = "县档案馆", TODAY
    new = Certificate(code="", name="金丝雀测试证明", status=Status.ABOLISHED)
    where = await upload(boss, CANARY_FILE, latest, new)
    preview = (await boss.get(where)).text
    assert "<ins>县档案馆</ins>" in preview  # the staff preview shows old -> new
    r = await post_form(boss, where + "/apply", {"reason": "按县政府决定调整"})
    assert r.status_code == 303
    list_changed(worker(app))

    urls = await public_urls(app, conn)
    assert len(urls) > 2 * 174
    canaries = (CANARY_USER, CANARY_DISPLAY, CANARY_FILE, "canaryfile9z")
    for url in urls:
        r = await client.get(url)
        if url in SWITCHES:  # they answer with a way back, never a page
            assert r.status_code == 303, url
            continue
        assert r.status_code == 200, (url, r.status_code)
        body = r.content.decode("utf-8", "replace")
        for canary in canaries:
            assert canary not in body, (url, canary)
        assert not re.search("seed|种子", body, re.I), url
        kind = r.headers.get("content-type", "")
        if kind.startswith("application/json"):
            fields = list(_json_strings(json.loads(body)))
        elif "atom" in kind:
            tree = ET.fromstring(r.content)
            fields = [e.text or "" for e in tree.iter() if not e.tag.endswith("id")]
        elif kind.startswith("text/html"):
            parser = _Text()
            parser.feed(body)
            fields = parser.parts
        else:  # downloads: every cell
            fields = [body]
        for text in fields:
            # Paper pages print our own permalinks for people to type; no other address.
            text = text.replace("http://testserver/", "")
            assert not re.search(r"https?://|www\.", text), (url, text[:200])

    # The history of the edited item says what changed and why, not who.
    item = (await client.get(f"/api/v1/certificates/{code}")).json()
    newest = item["history"][0]
    assert newest["change_reason"] == "按县政府决定调整"
    assert {c["label"]: c["new"] for c in newest["changes"]}["开具单位"] == "县档案馆"
    page = (await client.get(f"/certificates/{code}")).text
    assert "<ins>县档案馆</ins>" in page and "列入初始清单" in page
    # The audit log, for staff, keeps who and which file.
    actors = {r["actor"] for r in await conn.fetch("SELECT actor FROM audit_log")}
    assert CANARY_USER in actors
    assert await conn.fetchval(
        "SELECT filename FROM import_batches WHERE filename = $1", CANARY_FILE
    )
    await boss.aclose()


# ---- the lists on a date ----------------------------------------------------------------------


async def test_lists_and_items_honour_on_and_say_which_date(client):
    r = await client.get("/certificates/retained?on=2018-01-01")
    assert r.status_code == 200
    assert "2018-01-01</time></strong> 那一天有效的清单" in r.text
    assert "那一天清单上还没有任何事项" in r.text and "这一天没有保留的证明事项" in r.text
    assert 'name="on" type="date" value="2018-01-01"' in r.text
    assert "查看某日有效的清单" in r.text
    r = await client.get("/certificates/abolished?on=2018-12-28&q=证明")
    assert "2018-12-28</time></strong> 那一天有效的清单" in r.text
    assert "共 173 项：保留 9 项，取消 164 项" in r.text
    assert 'type="hidden" name="q" value="证明"' in r.text  # the date form keeps the search
    today = (await client.get("/certificates/retained")).text
    assert f'今天（<time datetime="{TODAY}">' in today
    item = (await client.get("/certificates/CY-ZM-001?on=2018-01-01")).text
    assert "那一天，这项证明不在清单上" in item
    bad = await client.get("/certificates/retained?on=2018-13-01")
    assert bad.status_code == 400


async def test_changes_is_in_the_navigation(client):
    for url in ("/", "/certificates/retained", "/complaints/new"):
        assert '<a href="/changes">变更记录</a>' in (await client.get(url)).text


# ---- the reconstruction notice ----------------------------------------------------------------


async def test_the_notice_shows_until_the_official_list_is_loaded(app, conn, client):
    pages = (
        "/",
        "/certificates/retained",
        "/certificates/CY-ZM-001",
        "/changes",
        "/check?name=良民证",
    )
    for url in pages:
        text = (await client.get(url)).text
        assert NOTICE in text and '<a href="/about/list">' in text, url
    about = (await client.get("/about/list")).text
    assert "重建" in about and "173" in about and "正式清单还没有导入" in about

    # As the browser import's checkbox does; its trigger NOTIFYs (here: called by hand).
    async with conn.transaction():
        assert await iq.mark_official(conn, actor="sup", reason="县政府公布正式清单")
    trigger = await conn.fetchrow(
        "SELECT tgfoid::regproc::text AS fn, encode(tgargs, 'escape') AS args"
        " FROM pg_trigger WHERE tgname = 'list_record_notify'"
    )
    assert trigger["fn"] == "notify_channel" and trigger["args"] == "registry_record_changed\\000"
    invalidation.record_changed(worker(app))  # what that channel's NOTIFY does in every worker
    for url in (*pages, "/about/list"):
        text = (await client.get(url)).text
        assert NOTICE not in text, url  # cached pages included: no stale notice
    assert "人民政府公布的正式清单" in (await client.get("/about/list")).text
    # A page outside the cache reads the flag it was rendered with.
    assert NOTICE not in (await client.get("/complaints/new")).text


@pytest.mark.parametrize("official", [False, True])
async def test_browser_import_marks_official_only_when_ticked(app, conn, official):
    sup = await staff_client(app, conn, f"sup{int(official)}x")
    where = await upload(
        sup, "list.csv", Certificate(code="", name="勾选测试", status=Status.ABOLISHED)
    )
    form = {"reason": "县政府公布正式清单"} | ({"official": "yes"} if official else {})
    assert (await post_form(sup, where + "/apply", form)).status_code == 303
    assert await iq.list_official(conn) is official
    n = await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'list.official'")
    assert n == int(official)
    await sup.aclose()
