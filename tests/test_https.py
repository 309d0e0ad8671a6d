"""Served over HTTPS (REGISTRY_HTTPS=1): HSTS on every response, https links in the Atom feed
even when TLS ends at a proxy and the connection itself is plain HTTP."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import msgspec
import pytest

from registry.infra.db import SingleConnectionPool
from registry.infra.settings import Settings
from registry.web.app import create_app

ATOM = "{http://www.w3.org/2005/Atom}"
HSTS = "max-age=31536000"


@pytest.fixture
async def https_client(conn, settings):
    """A client of an app configured for HTTPS, reached over plain http (behind a proxy)."""

    async def make(**over):
        app = create_app(
            msgspec.structs.replace(settings, secure_cookies=True, **over),
            pool=SingleConnectionPool(conn),
        )
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://site")

    made: list[httpx.AsyncClient] = []

    async def client(**over):
        c = await make(**over)
        made.append(c)
        return c

    yield client
    for c in made:
        await c.aclose()


def links(feed_xml: bytes) -> list[str]:
    feed = ET.fromstring(feed_xml)
    return [el.get("href", "") for el in feed.iter(f"{ATOM}link")]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/"),
        ("GET", "/changes.atom"),
        ("GET", "/api/v1/summary"),
        ("GET", "/staff/login"),
        ("GET", "/no-such-page"),  # a routing 404
        ("POST", "/staff/login"),  # a CSRF refusal
    ],
)
async def test_hsts_on_every_response_under_https(https_client, method, url):
    c = await https_client()
    r = await c.request(method, url)
    assert r.headers.get("strict-transport-security") == HSTS, (r.status_code, url)


async def test_no_hsts_over_plain_http(client):
    r = await client.get("/")
    assert "strict-transport-security" not in r.headers


async def test_atom_links_are_https_under_https(https_client):
    c = await https_client()
    r = await c.get("/changes.atom")
    hrefs = links(r.content)
    assert len(hrefs) > 2
    assert all(h.startswith("https://site/") for h in hrefs), hrefs


async def test_atom_links_use_the_configured_public_url(https_client):
    c = await https_client(public_url="https://zhengming.example.gov.cn")
    hrefs = links((await c.get("/changes.atom")).content)
    assert hrefs[0] == "https://zhengming.example.gov.cn/changes.atom"
    assert all(h.startswith("https://zhengming.example.gov.cn/") for h in hrefs)


async def test_atom_links_follow_the_request_over_plain_http(client):
    hrefs = links((await client.get("/changes.atom")).content)
    assert all(h.startswith("http://testserver/") for h in hrefs)


def test_public_url_setting(tmp_path):
    env = {"REGISTRY_HOME": str(tmp_path), "REGISTRY_SECRET_KEY": "k"}
    url = "https://zhengming.example.gov.cn/"
    assert Settings.from_env(env | {"REGISTRY_PUBLIC_URL": url}).public_url == url.rstrip("/")
    assert Settings.from_env(env).public_url == ""
    with pytest.raises(ValueError, match="REGISTRY_PUBLIC_URL"):
        Settings.from_env(env | {"REGISTRY_PUBLIC_URL": "zhengming.example.gov.cn"})


async def test_hsts_on_a_check_answered_from_the_cache(https_client):
    c = await https_client()
    url = "/api/v1/check?name=%E8%89%AF%E6%B0%91%E8%AF%81"
    first, again = await c.get(url), await c.get(url)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("strict-transport-security") == HSTS
