"""JSON API v1: summary, list filters and pagination, detail with history, the error shape."""

from __future__ import annotations

import re

import pytest


def assert_error_shape(body: dict, status: int) -> None:
    assert set(body) == {"status", "error", "errors"}
    assert body["status"] == status and isinstance(body["error"], str) and body["error"]
    for e in body["errors"]:
        assert set(e) == {"field", "message"}


async def test_summary(client):
    body = (await client.get("/api/v1/summary")).json()
    assert body["reviewed"] == 173 and body["abolished"] == 164 and body["retained"] == 9
    assert body["abolished_rate"] == 0.948 and body["as_of"]


async def test_summary_before_the_list_existed_is_empty(client):
    body = (await client.get("/api/v1/summary?on=2018-01-01")).json()
    assert body["reviewed"] == 0 and body["abolished_rate"] == 0.0


async def test_list_pages_cover_everything_once(client):
    seen = []
    for page in (1, 2, 3, 4):
        body = (await client.get(f"/api/v1/certificates?per_page=50&page={page}")).json()
        assert body["total"] == 173 and body["page"] == page and body["per_page"] == 50
        seen += [c["code"] for c in body["items"]]
    assert len(seen) == len(set(seen)) == 173


async def test_page_past_the_end_is_empty_with_the_total(client):
    body = (await client.get("/api/v1/certificates?page=99")).json()
    assert body["items"] == [] and body["total"] == 173


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("status=retained", lambda c: c["status"] == "retained"),
        ("status=abolished", lambda c: c["status"] == "abolished"),
        ("domain=户籍管理", lambda c: c["domain"] == "户籍管理"),
        ("replacement=直接取消", lambda c: "直接取消" in c["replacement_methods"]),
        ("department=县公安局", lambda c: "县公安局" in c["demanded_by"]),
        ("department=CY-BM-001", lambda c: "县公安局" in c["demanded_by"]),
        ("q=无犯罪", lambda c: "犯罪" in c["name"] + "".join(c["aliases"])),
        ("q=良民证", lambda c: "良民证" in c["aliases"]),
        ("q=無犯罪", lambda c: "犯罪" in c["name"] + "".join(c["aliases"])),
    ],
)
async def test_filters(client, query, check):
    body = (await client.get(f"/api/v1/certificates?per_page=200&{query}")).json()
    assert body["items"], query
    assert all(check(c) for c in body["items"]), query
    assert body["total"] == len(body["items"])


async def test_filters_combine(client):
    retained = (await client.get("/api/v1/certificates?status=retained")).json()
    assert retained["total"] == 9
    both = (await client.get("/api/v1/certificates?status=retained&domain=户籍管理")).json()
    assert 0 < both["total"] < 9


async def test_empty_filter_means_no_filter(client):
    body = (await client.get("/api/v1/certificates?status=&q=&page=")).json()
    assert body["total"] == 173


async def test_detail_with_history(client):
    body = (await client.get("/api/v1/certificates/CY-ZM-001")).json()
    assert body["code"] == "CY-ZM-001" and body["status"] == "retained"
    assert body["legal_basis"] and body["history"]
    assert body["history"][0]["valid_to"] is None


async def test_departments(client):
    body = (await client.get("/api/v1/departments")).json()
    assert {"code", "name", "kind"} == set(body[0])
    assert sum(d["kind"] in ("town", "street") for d in body) == 18


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/api/v1/certificates?status=kept", {"status"}),
        ("/api/v1/certificates?page=0&per_page=500", {"page", "per_page"}),
        ("/api/v1/certificates?page=abc", {"page"}),
        ("/api/v1/certificates?on=2020-13-01", {"on"}),
        ("/api/v1/summary?on=yesterday", {"on"}),
    ],
)
async def test_400_has_the_error_shape_and_names_fields(client, url, fields):
    r = await client.get(url)
    assert r.status_code == 400
    body = r.json()
    assert_error_shape(body, 400)
    assert {e["field"] for e in body["errors"]} == fields


@pytest.mark.parametrize("url", ["/api/v1/certificates/CY-ZM-999", "/api/v1/nothing"])
async def test_404_has_the_error_shape(client, url):
    r = await client.get(url)
    assert r.status_code == 404
    assert_error_shape(r.json(), 404)


async def test_405_has_the_error_shape(client):
    r = await client.post("/api/v1/summary")
    assert r.status_code == 405
    assert_error_shape(r.json(), 405)


async def test_openapi_lists_every_api_route(client, app):
    schema = (await client.get("/schema/openapi.json")).json()
    api_paths = {re.sub(r"\{(\w+):\w+\}", r"{\1}", r.path) for r in app.routes}
    assert {p for p in api_paths if p.startswith("/api/v1")} <= set(schema["paths"])


async def test_docs_page_renders_offline(client):
    r = await client.get("/api/docs")
    assert r.status_code == 200
    assert "/api/v1/certificates" in r.text and "<script" not in r.text
