"""长辈版: the switch is a plain link that sets a cookie and goes back to a local page only, and
the page cache keeps each page per mode (a standard page is never served in 长辈版)."""

from __future__ import annotations

import re
from urllib.parse import unquote

import httpx
import pytest

from registry.web.preferences import local_path

ELDER = {"cookie": "display=elder"}  # a header: per-request cookies= is deprecated in httpx


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/check?name=良民证&matter=找工作", "/check?name=良民证&matter=找工作"),
        ("/complaints/track", "/complaints/track"),
        (None, "/"),
        ("", "/"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("check", "/"),
        ("/a\r\nSet-Cookie: x=1", "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_next_is_a_local_path_or_home(given: str | None, kept: str) -> None:
    assert local_path(given) == kept


async def test_the_switch_sets_the_cookie_and_goes_back(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/mode", params={"set": "elder", "next": "/check?name=良民证&matter=找工作"}
    )
    assert r.status_code == 303
    assert unquote(r.headers["location"]) == "/check?name=良民证&matter=找工作"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("display=elder;") and "HttpOnly" in cookie and "Max-Age=" in cookie
    back = await client.get("/mode", params={"set": "standard", "next": "//evil.example/"})
    assert back.status_code == 303 and back.headers["location"] == "/"
    assert back.headers["set-cookie"].startswith("display=standard;")
    odd = await client.get("/mode", params={"set": "<script>"})
    assert odd.headers["set-cookie"].startswith("display=standard;")


@pytest.mark.parametrize(
    "path", ["/", "/certificates/retained", "/check?name=良民证&matter=找工作", "/changes"]
)
async def test_cached_pages_are_kept_per_mode(client: httpx.AsyncClient, path: str) -> None:
    standard = await client.get(path)
    elder = await client.get(path, headers=ELDER)
    again = await client.get(path)
    assert standard.status_code == elder.status_code == again.status_code == 200
    assert '<html lang="zh-CN">' in standard.text and ">长辈版</a>" in standard.text
    assert '<html lang="zh-CN" class="elder">' in elder.text and ">标准版</a>" in elder.text
    assert again.text == standard.text
    assert elder.headers["etag"] != standard.headers["etag"]
    assert "cookie" in elder.headers["vary"].lower()
    # A standard ETag is no 304 for an elder visitor, whose page differs.
    cross = await client.get(path, headers={**ELDER, "if-none-match": standard.headers["etag"]})
    assert cross.status_code == 200 and 'class="elder"' in cross.text


async def test_the_switch_link_comes_back_to_this_page_and_query(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/complaints/new")
    assert 'href="/mode?set=elder&amp;next=/complaints/new"' in r.text
    r = await client.get("/check?name=良民证&matter=找工作", headers=ELDER)
    assert "/mode?set=standard&amp;next=/check%3Fname%3D" in r.text


async def test_a_cached_page_never_carries_a_visitors_stray_query(client):
    """The header's switches link back to the page with the parameters it reads, and only
    those: a cached page is shared, so one visitor's ?phone=… must not reach the next."""
    first = await client.get("/certificates/abolished?q=%E8%AF%81%E6%98%8E&phone=13812345678")
    second = await client.get("/certificates/abolished?q=%E8%AF%81%E6%98%8E")
    for page in (first, second):
        assert page.status_code == 200
        assert "13812345678" not in page.text and "phone" not in page.text
    back = re.findall(r'href="/lang\?[^"]*next=([^"&]+)', first.text)
    assert back and {unquote(b) for b in back} == {"/certificates/abolished?q=%E8%AF%81%E6%98%8E"}
    home = await client.get("/?utm_source=wechat")
    assert "utm_source" not in home.text
