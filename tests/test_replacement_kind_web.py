"""The replacement's kind on the pages and in the API (issue 15): the kind= filter, the item
page, the staff item form and the import preview's notices."""

from __future__ import annotations

import re

import pytest

from registry.catalogue.models import REPLACEMENT_KINDS
from registry.catalogue.queries import certificates as cq
from tests.staff_helpers import csrf
from tests.test_admin_list import change


def twin(html: str) -> str:
    m = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)"', html)
    assert m, "page has no JSON twin"
    return m.group(1).replace("&amp;", "&")


async def test_every_abolished_item_is_of_one_kind_and_the_api_filters_by_it(client):
    totals = {}
    for kind in REPLACEMENT_KINDS:
        r = await client.get("/api/v1/certificates", params={"kind": kind, "per_page": 200})
        body = r.json()
        assert body["items"], kind
        assert {c["replacement_kind"] for c in body["items"]} == {kind}
        assert {c["status"] for c in body["items"]} == {"abolished"}
        totals[kind] = body["total"]
    assert sum(totals.values()) == 164
    both = await client.get(
        "/api/v1/certificates", params={"kind": "commitment", "replacement": "数据共享"}
    )
    items = both.json()["items"]
    assert 0 < len(items) < totals["commitment"]  # the old replacement= filter still narrows
    assert all("数据共享" in c["replacement_methods"] for c in items)


@pytest.mark.parametrize("kind", ["sharing", "告知承诺", "COMMITMENT "])
async def test_an_unknown_kind_is_a_400_in_the_one_error_shape(client, kind):
    r = await client.get("/api/v1/certificates", params={"kind": kind})
    assert r.status_code == 400
    body = r.json()
    assert set(body) == {"status", "error", "errors"} and body["status"] == 400
    assert [e["field"] for e in body["errors"]] == ["kind"]
    assert "commitment" in body["errors"][0]["message"]
    page = await client.get("/certificates/abolished", params={"kind": kind})
    assert page.status_code == 400 and "text/html" in page.headers["content-type"]


async def test_the_abolished_page_filters_by_kind_and_keys_its_cache_on_it(client):
    pages = {}
    for kind in ("verification", "cancelled", "verification"):
        r = await client.get("/certificates/abolished", params={"kind": kind})
        assert r.status_code == 200
        assert f'<option value="{kind}" selected>' in r.text
        body = (await client.get(twin(r.text))).json()
        assert {c["replacement_kind"] for c in body["items"]} == {kind}
        assert r.text.count('<td class="code">') == body["total"]
        pages.setdefault(kind, r.text)
        assert pages[kind] == r.text  # the same filter, the same page
    assert pages["verification"] != pages["cancelled"]
    r = await client.get("/certificates/abolished")
    for label in REPLACEMENT_KINDS.values():
        assert f">{label}</option>" in r.text
    assert '<strong class="kind">' in r.text


async def test_the_item_page_shows_the_kind(client, conn):
    code = await conn.fetchval(
        "SELECT code FROM versions_in_force('infinity') WHERE replacement_kind = 'verification'"
        " ORDER BY code LIMIT 1"
    )
    r = await client.get(f"/certificates/{code}")
    assert "<dt>办理方式类型</dt><dd>部门间核查</dd>" in r.text
    retained = await client.get("/certificates/CY-ZM-001")
    assert "办理方式类型" not in retained.text
    api = (await client.get(f"/api/v1/certificates/{code}")).json()
    assert api["replacement_kind"] == "verification"


async def test_the_staff_form_edits_the_kind(sup, client, conn):
    code = await conn.fetchval(
        "SELECT code FROM versions_in_force('infinity') WHERE replacement_kind = 'data_sharing'"
        " ORDER BY code LIMIT 1"
    )
    page = await sup.get(f"/staff/list/{code}")
    assert '<option value="data_sharing" selected>' in page.text
    r = await change(sup, conn, code, replacement_kind="licence_check")
    assert r.status_code == 303, r.text[:2000]
    assert (await cq.get_latest(conn, code)).replacement_kind == "licence_check"
    shown = await client.get(f"/certificates/{code}")
    assert "<dt>办理方式类型</dt><dd>证照核验</dd>" in shown.text
    bad = await change(sup, conn, code, replacement_kind="nonsense")
    assert bad.status_code == 422
    assert 'id="replacement_kind"' in bad.text and "办理方式类型“nonsense”无法识别" in bad.text
    # Retaining the item drops its kind: a retained item has none.
    kept = await change(
        sup, conn, code, status="retained", legal_basis="《某法》第一条", legal_basis_level="法律"
    )
    assert kept.status_code == 303, kept.text[:2000]
    assert (await cq.get_latest(conn, code)).replacement_kind == ""


async def test_the_import_preview_shows_the_notices(sup):
    body = "证明名称,状态,取消后办理方式\n甲证明,取消,部门间核查\n乙证明,取消,直接取消、数据共享\n"
    token = await csrf(sup)
    r = await sup.post(
        "/staff/list/import",
        data={"_csrf_token": token},
        files={"file": ("old.csv", body.encode("utf-8-sig"))},
    )
    assert r.status_code == 303, r.text[:2000]
    page = await sup.get(r.headers["location"])
    assert "提示 <strong>1</strong> 行" in page.text
    assert "第 3 行：取消后办理方式写了几种办理方式类型" in page.text
    assert "确认导入" in page.text  # a notice does not stop the import
