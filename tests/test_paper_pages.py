"""The list on paper: the 窗口出示卡, the printable verdict and the 公开栏海报, computed from the
list's rows, each with QR codes to absolute addresses (registry/web/routes/public/paper.py)."""

from __future__ import annotations

import re

from registry.catalogue.queries import certificates as q
from registry.infra import clock
from registry.web.routes.public.paper import density
from registry.web.state import worker


def svgs(html: str) -> list[str]:
    return re.findall(r'<svg xmlns="http://www.w3.org/2000/svg" viewBox="[^"]+" class="qr">', html)


async def retained_item(conn):
    items, _ = await q.list_certificates(conn, on=clock.today(), status="retained")
    return items[0]


async def test_card_of_a_retained_item_shows_its_basis_and_date(client, conn):
    item = await retained_item(conn)
    r = await client.get(f"/certificates/{item.code}/card")
    assert r.status_code == 200
    assert item.name in r.text and "保留：只能在下列办理事项中索要" in r.text
    assert item.legal_basis in r.text and str(item.effective_from) in r.text
    assert len(svgs(r.text)) == 2  # the permalink and the complaint form
    # The permalink is absolute, from this request's host (no REGISTRY_PUBLIC_URL in the tests).
    assert re.search(rf">https?://[^<\s/]+/certificates/{item.code}<", r.text)
    assert "/complaints/new" in r.text


async def test_card_of_an_abolished_item_says_it_may_not_be_asked(client, conn):
    items, _ = await q.list_certificates(conn, on=clock.today(), status="abolished")
    item = items[0]
    r = await client.get(f"/certificates/{item.code}/card")
    assert r.status_code == 200
    assert "已取消：不得索要" in r.text and item.name in r.text
    assert (item.decision_doc or "—") in r.text


async def test_card_of_an_unknown_item_is_404(client):
    r = await client.get("/certificates/CY-ZM-999999/card")
    assert r.status_code == 404


async def test_item_page_links_its_card(client, conn):
    item = await retained_item(conn)
    html = (await client.get(f"/certificates/{item.code}")).text
    assert f'href="/certificates/{item.code}/card"' in html


async def test_poster_lists_every_retained_item_from_the_data(client, conn):
    items, total = await q.list_certificates(conn, on=clock.today(), status="retained")
    for size in ("a4", "a3"):
        r = await client.get(f"/poster?size={size}")
        assert r.status_code == 200
        assert "清单之外一律不得索要" in r.text
        assert f"共 <strong>{total}</strong> 项" in r.text
        listed = re.findall(r"<li>([^<]+)</li>", r.text.split('class="poster-items')[1])
        assert listed == [c.name for c in items]
        assert len(svgs(r.text)) == 2  # the verdict page and the complaint form
    assert "paper-a3.css" in (await client.get("/poster?size=a3")).text
    assert "paper-a3.css" not in (await client.get("/poster")).text
    # One retained item fewer: the poster follows once the cache is dropped.
    await conn.execute(
        "UPDATE certificate_versions SET superseded_at = now() WHERE code = $1", items[0].code
    )
    worker(client._transport.app).pages.clear()
    r = await client.get("/poster")
    assert f"共 <strong>{total - 1}</strong> 项" in r.text and items[0].name not in r.text


async def test_poster_refuses_other_sizes(client):
    r = await client.get("/poster?size=a0")
    assert r.status_code == 400


async def test_home_links_the_poster(client):
    html = (await client.get("/")).text
    assert 'href="/poster?size=a4"' in html and 'href="/poster?size=a3"' in html


async def test_printable_verdict_carries_the_verdict_and_its_address(client):
    r = await client.get("/check/print?name=良民证")
    assert r.status_code == 200
    assert "不得要求" in r.text and len(svgs(r.text)) == 1
    # The QR code holds the encoded address; the caption prints it as people type it.
    assert re.search(r"https?://[^<\s]+/check\?name=良民证<", r.text)
    page = (await client.get("/check?name=良民证")).text
    assert 'href="/check/print?name=' in page


async def test_printable_verdict_without_a_name_is_400(client):
    r = await client.get("/check/print")
    assert r.status_code == 400


def test_poster_sets_a_longer_list_tighter():
    # static/paper.css: measured in Chromium, one A4 sheet holds up to 120 names set "lots".
    assert [density(n) for n in (9, 12, 13, 30, 31, 60, 61, 120)] == [
        "few",
        "few",
        "some",
        "some",
        "many",
        "many",
        "lots",
        "lots",
    ]
