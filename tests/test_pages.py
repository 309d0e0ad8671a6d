"""Public pages: figures from data, the lists, an item, JSON twins, caching, downloads."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from registry.catalogue import transfer
from registry.catalogue.queries import certificates as q
from registry.web.state import worker


def twin(html: str) -> str:
    m = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)"', html)
    assert m, "page has no JSON twin"
    return m.group(1).replace("&amp;", "&")


async def test_home_shows_figures_computed_from_rows(client, conn):
    html = (await client.get("/")).text
    assert "清单之外，一律不得索要" in html
    for figure in ("173", "164", "9", "94.8%"):
        assert figure in html
    # Change the data: the figures follow (the page cache is dropped on change).
    await conn.execute(
        "UPDATE certificate_versions SET superseded_at = now() WHERE code = 'CY-ZM-173'"
    )
    worker(client._transport.app).pages.clear()  # what the NOTIFY listener does
    html = (await client.get("/")).text
    assert "172" in html and "163" in html


async def test_retained_list_shows_all_nine_with_basis(client):
    r = await client.get("/certificates/retained")
    assert r.status_code == 200
    assert r.text.count('class="item"') == 9
    assert "设定依据" in r.text and "《中华人民共和国母婴保健法》第二十三条" in r.text
    body = (await client.get(twin(r.text))).json()
    assert body["total"] == 9


async def test_abolished_list_paginates_and_filters(client):
    r = await client.get("/certificates/abolished")
    assert r.text.count('<td class="code">') == 50
    assert "第 1 / 4 页" in r.text and 'rel="next"' in r.text
    last = await client.get("/certificates/abolished?page=4")
    assert last.text.count('<td class="code">') == 164 - 150
    f = await client.get("/certificates/abolished?domain=户籍管理&replacement=直接取消")
    body = (await client.get(twin(f.text))).json()
    assert 0 < body["total"] == f.text.count('<td class="code">')


async def test_bad_filter_gives_an_html_400(client):
    r = await client.get("/certificates/abolished?page=-1")
    assert r.status_code == 400
    assert "text/html" in r.headers["content-type"] and "page" in r.text


async def test_item_page_shows_every_field_and_history(client):
    r = await client.get("/certificates/CY-ZM-014")
    assert r.status_code == 200
    for label in ("开具单位", "索要单位", "办理事项", "设定依据", "取消后办理方式", "版本历史"):
        assert label in r.text
    assert twin(r.text) == "/api/v1/certificates/CY-ZM-014"
    assert "我要投诉" in r.text


async def test_unknown_item_is_a_plain_404_page(client):
    r = await client.get("/certificates/NOPE-1")
    assert r.status_code == 404 and "<h1>" in r.text and "Traceback" not in r.text


async def test_repeat_visit_gets_304(client):
    first = await client.get("/certificates/retained")
    etag = first.headers["etag"]
    again = await client.get("/certificates/retained", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""


async def test_security_headers_on_pages_and_errors(client):
    for url in ("/", "/nowhere", "/api/v1/summary"):
        h = (await client.get(url)).headers
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"]


@pytest.mark.parametrize(
    ("name", "status", "n"), [("retained", "retained", 9), ("abolished", "abolished", 164)]
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_downloads_parse_back_to_the_same_rows(client, conn, name, status, n, fmt):
    r = await client.get(f"/downloads/{name}.{fmt}")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    parsed, errors = transfer.parse_rows(
        transfer.read_table(r.content, f"x.{fmt}"), today=dt.date.today()
    )
    items, _ = await q.list_certificates(conn, on=dt.date.today(), status=status)
    assert not errors and len(parsed) == n
    assert [p.cert for p in parsed] == items


async def test_unknown_download_is_404(client):
    assert (await client.get("/downloads/secret.txt")).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/certificates/retained",
        "/api/v1/summary",
        "/check?name=良民证",
        "/api/v1/check?name=x",
    ],
)
async def test_head_answers_like_get_without_a_body(client, url):
    got = await client.get(url)
    head = await client.head(url)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"]
