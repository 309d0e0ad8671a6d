"""The list on paper: the 窗口出示卡, the printable verdict and the 公开栏海报, computed from the
list's rows, each with QR codes to absolute addresses (registry/web/routes/public/paper.py)."""

from __future__ import annotations

import datetime as dt
import re

import opencc

from registry.catalogue.models import Status, Version
from registry.catalogue.queries import certificates as q
from registry.infra import clock
from registry.web.paper import Standing, standing
from registry.web.routes.public.paper import density, fit
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


# The card says plainly when an item is not in force today (its status today and since when).


async def _new_version(conn, code: str, day: dt.date, status: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """A version taking effect on `day`, closing the open one there (as imports do)."""
    await conn.execute(
        "UPDATE certificate_versions SET valid_to = $2"
        " WHERE code = $1 AND valid_to IS NULL AND superseded_at IS NULL",
        code,
        day,
    )
    await conn.execute(
        "INSERT INTO certificate_versions (code, valid_from, name, status, changed_by)"
        " VALUES ($1, $2, $3, $4, 'test')",
        code,
        day,
        name,
        status,
    )


async def card(client, code: str, lang: str = "zh-CN") -> str:  # type: ignore[no-untyped-def]
    worker(client._transport.app).pages.clear()
    r = await client.get(f"/certificates/{code}/card", headers={"accept-language": lang})
    assert r.status_code == 200
    return r.text


async def test_card_of_an_item_abolished_after_being_retained_says_since_when(client, conn):
    item = await retained_item(conn)
    day = clock.today() - dt.timedelta(days=5)
    await _new_version(conn, item.code, day, "abolished", item.name)
    html = await card(client, item.code)
    assert "已取消：不得索要" in html and "保留：只能在下列办理事项中索要" not in html
    assert f"今天：取消，{day} 起（此前为保留）" in html
    english = await card(client, item.code, "en")
    assert f"Today: Abolished, since {day} (until then: Retained)" in english


async def test_card_of_an_item_not_yet_in_force_says_it_is_not_on_todays_list(client, conn):
    day = clock.today() + dt.timedelta(days=30)
    await conn.execute("INSERT INTO certificates (code) VALUES ('CY-ZM-T01')")
    await _new_version(conn, "CY-ZM-T01", day, "retained", "测试将来证明")
    html = await card(client, "CY-ZM-T01")
    assert f"今天还不在清单上：{day} 起才生效，在此之前不得索要" in html
    assert "保留：只能在下列办理事项中索要" not in html and "paper-card not-in-force" in html


async def test_card_announces_a_change_already_scheduled(client, conn):
    item = await retained_item(conn)
    day = clock.today() + dt.timedelta(days=10)
    await _new_version(conn, item.code, day, "abolished", item.name)
    html = await card(client, item.code)
    assert "保留：只能在下列办理事项中索要" in html and f"{day} 起：取消" in html


def test_standing_reads_the_history():
    today = dt.date(2026, 6, 1)

    def v(start, end, status, superseded=False):  # type: ignore[no-untyped-def]
        return Version(
            id=0,
            valid_from=start,
            valid_to=end,
            name="x",
            status=status,
            change="",
            change_label="",
            change_reason="",
            decision_doc="",
            recorded_at=dt.datetime(2026, 1, 1),
            superseded_at=dt.datetime(2026, 1, 2) if superseded else None,
        )

    d1, d2, d3 = dt.date(2019, 1, 1), dt.date(2026, 5, 1), dt.date(2026, 7, 1)
    retained, abolished = Status.RETAINED, Status.ABOLISHED
    assert standing([v(d1, d2, retained), v(d2, None, abolished)], today) == Standing(
        "in_force", d2, retained, None
    )
    assert standing([v(d1, d3, retained), v(d3, None, abolished)], today) == Standing(
        "in_force", d1, None, (d3, abolished)
    )
    assert standing([v(d3, None, retained)], today) == Standing("not_yet", d3, None, (d3, retained))
    assert standing([v(d1, d2, retained)], today) == Standing("ended", d2, retained)
    # A corrected (superseded) version does not count.
    assert standing([v(d1, None, abolished, True), v(d1, None, retained)], today).before is None


# The printed card and verdict in English and 繁體; the QR code still holds the permalink.


def qr_titles(html: str) -> list[str]:
    return re.findall(r'class="qr"><title>([^<]*)</title>', html)


async def test_card_in_english_and_traditional(client, conn):
    item = await retained_item(conn)
    english = await card(client, item.code, "en")
    assert '<html lang="en"' in english and f'<h1 lang="zh-CN">{item.name}</h1>' in english
    assert "Retained: may be demanded only for the matters below" in english
    assert qr_titles(english) == ["QR code: this item's page", "QR code: make a complaint"]
    assert not re.search(r"[\u4e00-\u9fff]", " ".join(qr_titles(english)))
    assert re.search(rf">https?://[^<\s/]+/certificates/{item.code}<", english)
    traditional = await card(client, item.code, "zh-TW")
    assert '<html lang="zh-TW"' in traditional and "保留：只能在下列辦理事項中索要" in traditional
    assert opencc.OpenCC("s2tw").convert(item.name) in traditional
    assert all("二維碼" in t for t in qr_titles(traditional))


async def test_printed_verdict_in_english_and_traditional(client):
    for lang, said in (("en", "May not be demanded"), ("zh-TW", "不得要求")):
        r = await client.get("/check/print?name=良民证", headers={"accept-language": lang})
        assert r.status_code == 200 and said in r.text
        assert re.search(r"https?://[^<\s]+/check\?name=良民证<", r.text)  # the same permalink
        assert len(svgs(r.text)) == 1
    english = await client.get("/check/print?name=良民证", headers={"accept-language": "en"})
    assert qr_titles(english.text) == ["QR code: this answer online"]


def test_a_list_longer_than_a_sheet_prints_what_fits():
    assert fit(["出生医学证明"] * 120, "a4") == 120  # up to "lots" every name
    short, long = ["无犯罪记录证明"] * 400, ["能够证明符合烟花爆竹零售经营条件的有关材料"] * 400
    assert 200 < fit(short, "a4") < 300 and fit(long, "a4") < fit(short, "a4")
    assert fit(short, "a3") > fit(short, "a4")
