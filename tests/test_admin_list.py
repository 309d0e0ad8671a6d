"""List administration through the pages: edit, abolish, add, import; 409s, 422s and audit."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from registry.catalogue import transfer
from registry.catalogue.models import Certificate, Status
from registry.catalogue.queries import certificates as cq
from registry.infra import clock
from registry.web import list_forms
from tests.staff_helpers import DEPT_A, csrf, login, make_user, post_form

TODAY = clock.today()  # China's date, as the app's forms use


async def retained_code(conn) -> str:
    return await conn.fetchval(
        "SELECT code FROM certificate_versions WHERE status='retained' AND superseded_at IS NULL"
        " AND valid_to IS NULL ORDER BY code LIMIT 1"
    )


async def abolished_code(conn) -> str:
    return await conn.fetchval(
        "SELECT code FROM certificate_versions WHERE status='abolished' AND superseded_at IS NULL"
        " AND valid_to IS NULL ORDER BY code LIMIT 1"
    )


async def form_of(client, code: str, **query) -> tuple[dict[str, str], httpx.Response]:
    """What the edit page prefills (read from the page itself), ready to post back."""
    r = await client.get(f"/staff/list/{code}", params=query)
    assert r.status_code == 200, r.text[:500]
    expected = re.search(r'name="expected" value="(\d+)"', r.text).group(1)
    return {"expected": expected}, r


async def change(client, conn, code: str, **over) -> httpx.Response:
    """Post the item's current values with some fields overridden, as the edit form does."""
    hidden, _ = await form_of(client, code)
    latest = await cq.get_latest(conn, code)
    values = list_forms.values_of(latest) | hidden
    values |= {"decision_doc": "长政办〔2026〕1号", "effective_from": str(TODAY), "reason": "测试"}
    return await post_form(client, f"/staff/list/{code}", values | over)


async def audits(conn, code: str) -> list:
    return await conn.fetch(
        "SELECT actor, before, after, reason FROM audit_log"
        " WHERE action='list.change' AND entity='certificate' AND entity_id=$1 ORDER BY id",
        code,
    )


async def test_department_and_anonymous_are_refused(app, client, conn):
    await make_user(conn, "depa", "department", DEPT_A)
    r = await client.get("/staff/list")
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")
    dep = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    assert (await login(dep, "depa")).status_code == 303
    for url in ("/staff/list", "/staff/list/CY-ZM-001", "/staff/list/new", "/staff/list/import"):
        assert (await dep.get(url)).status_code == 403, url
    r = await post_form(dep, "/staff/list/CY-ZM-001", {"name": "x"})
    assert r.status_code == 403
    await dep.aclose()


async def test_list_pages_searches_and_links_to_edit(sup, conn):
    r = await sup.get("/staff/list")
    assert r.status_code == 200
    assert 'href="/staff/list/CY-ZM-001"' in r.text and 'href="/staff/list/new"' in r.text
    assert 'href="/staff/list/import"' in r.text
    assert (await sup.get("/staff/list", params={"page": 4})).status_code == 200
    r = await sup.get("/staff/list", params={"q": "出生医学", "status": "retained"})
    assert "CY-ZM-001" in r.text and "共 1 项" in r.text
    r = await sup.get("/staff/list", params={"status": "retained"})
    assert "共 9 项" in r.text


async def test_amend_makes_a_version_the_public_pages_show(sup, client, conn):
    code = await abolished_code(conn)
    before = await cq.history(conn, code)
    assert "县测试局" not in (await client.get(f"/certificates/{code}")).text  # now cached
    r = await change(sup, conn, code, issuer="县测试局", matters="事项甲\n事项乙")
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"].startswith(f"/staff/list/{code}?msg=")
    history = await cq.history(conn, code)
    assert len(history) == len(before) + 1
    latest = await cq.get_latest(conn, code)
    assert latest.issuer == "县测试局" and latest.matters == ["事项甲", "事项乙"]
    assert "县测试局" in (await client.get(f"/certificates/{code}")).text
    api = (await client.get(f"/api/v1/certificates/{code}")).json()
    assert api["issuer"] == "县测试局" and len(api["history"]) == len(history)
    page = await sup.get(r.headers["location"])
    assert "已保存" in page.text and "长政办〔2026〕1号" in page.text
    rows = await audits(conn, code)
    assert len(rows) == 1 and rows[0]["actor"] == "sup" and rows[0]["reason"] == "测试"
    assert rows[0]["after"]["issuer"] == "县测试局"
    assert rows[0]["before"]["issuer"] != "县测试局" and "name" not in rows[0]["after"]
    n = await conn.fetchval("SELECT count(*) FROM audit_log WHERE action='list.import'")
    assert n >= 1


async def test_abolishing_a_retained_item_from_a_future_date(sup, client, conn):
    code = await retained_code(conn)
    item = await cq.get_latest(conn, code)
    name, matter = item.name, item.matters[0]  # kept for its matters only: ask with one
    day = TODAY + dt.timedelta(days=30)
    _, page = await form_of(sup, code, status="abolished")
    assert "取消事项" in page.text and 'value="abolished" selected' in page.text

    async def verdict(on: dt.date) -> str:
        asked = {"name": name, "matter": matter, "on": str(on)}
        r = await client.get("/api/v1/check", params=asked)
        return r.json()["verdict"]

    assert await verdict(day) == "retained"  # cached now
    r = await change(
        sup,
        conn,
        code,
        status="abolished",
        replacement="申请人书面承诺",
        effective_from=str(day),
        decision_doc="长政〔2026〕9号",
    )
    assert r.status_code == 303, r.text[:2000]
    assert await verdict(day - dt.timedelta(days=1)) == "retained"
    assert await verdict(day) == "abolished"
    today = await client.get("/api/v1/check", params={"name": name, "matter": matter})
    assert today.json()["may_require"]
    rows = await audits(conn, code)
    assert rows[-1]["before"]["status"] == "retained" and rows[-1]["after"]["status"] == "abolished"


async def test_retained_without_legal_basis_is_422_with_input_kept(sup, conn):
    code = await abolished_code(conn)
    r = await change(
        sup, conn, code, status="retained", legal_basis="", issuer="保留这段输入", reason=""
    )
    assert r.status_code == 422
    assert "保留的证明事项必须写明设定依据" in r.text
    assert "请填写变更理由" in r.text
    assert 'value="保留这段输入"' in r.text and 'value="retained" selected' in r.text
    assert 'class="error-summary"' in r.text and 'id="legal_basis-error"' in r.text
    assert (await cq.get_latest(conn, code)).status is Status.ABOLISHED
    assert await audits(conn, code) == []


async def test_backdated_change_is_refused(sup, conn):
    code = await abolished_code(conn)
    latest = await cq.get_latest(conn, code)
    r = await change(
        sup, conn, code, note="改", effective_from=str(latest.effective_from - dt.timedelta(1))
    )
    assert r.status_code == 422 and "不能改写已生效的历史" in r.text


async def test_stale_form_is_409_with_the_current_state(sup, conn):
    code = await abolished_code(conn)
    hidden, _ = await form_of(sup, code)
    assert (await change(sup, conn, code, issuer="第一位的修改")).status_code == 303
    values = list_forms.values_of(await cq.get_latest(conn, code)) | hidden
    values |= {
        "issuer": "第二位的修改",
        "decision_doc": "文2",
        "effective_from": str(TODAY + dt.timedelta(days=1)),
        "reason": "测试",
    }
    r = await post_form(sup, f"/staff/list/{code}", values)
    assert r.status_code == 409
    assert "刚被其他人修改过" in r.text and 'value="第一位的修改"' in r.text
    assert 'value="文2"' in r.text  # the change fields are kept
    assert (await cq.get_latest(conn, code)).issuer == "第一位的修改"
    assert len(await audits(conn, code)) == 1


async def test_add_an_item_with_the_next_code(sup, client, conn):
    page = await sup.get("/staff/list/new")
    assert page.status_code == 200 and 'for="name"' in page.text
    expected_code = await cq.next_code(conn)
    values = {
        "name": "测试新增证明",
        "status": "abolished",
        "replacement": "部门间核查",
        "decision_doc": "长政〔2026〕3号",
        "effective_from": str(TODAY),
        "reason": "新发现的证明事项",
    }
    r = await post_form(sup, "/staff/list/new", values)
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"].startswith(f"/staff/list/{expected_code}?")
    api = (await client.get(f"/api/v1/certificates/{expected_code}")).json()
    assert api["name"] == "测试新增证明" and api["replacement_methods"] == ["部门间核查"]
    rows = await audits(conn, expected_code)
    assert len(rows) == 1 and rows[0]["before"] is None
    again = await post_form(sup, "/staff/list/new", values)
    assert again.status_code == 422 and f"已有同名事项 {expected_code}" in again.text


async def multipart(client, url: str, name: str, body: bytes) -> httpx.Response:
    token = await csrf(client)
    return await client.post(url, data={"_csrf_token": token}, files={"file": (name, body)})


def csv_of(*certs: Certificate) -> bytes:
    return transfer.export_csv(certs)


async def test_import_with_errors_shows_them_and_offers_no_apply(sup, conn):
    good = Certificate(code="", name="导入测试一", status=Status.ABOLISHED)
    bad = Certificate(code="", name="导入测试二", status=Status.RETAINED)  # no legal basis
    r = await multipart(sup, "/staff/list/import", "list.csv", csv_of(good, bad))
    assert r.status_code == 303, r.text[:2000]
    page = await sup.get(r.headers["location"])
    assert "第 3 行：保留的证明事项必须写明设定依据" in page.text
    assert "确认导入" not in page.text and "/apply" not in page.text
    batch = int(r.headers["location"].rsplit("/", 1)[1])
    r = await post_form(sup, f"/staff/list/import/{batch}/apply", {"reason": "测试"})
    assert r.status_code == 422 and "文件中有错误" in r.text
    assert "导入测试一" not in await cq.codes_by_name(conn)


async def test_upload_that_is_not_a_list_is_422(sup):
    r = await multipart(sup, "/staff/list/import", "notes.txt", b"hello")
    assert r.status_code == 422 and "不是 CSV 或 XLSX" in r.text
    r = await multipart(sup, "/staff/list/import", "x.csv", "甲,乙\n1,2\n".encode())
    assert r.status_code == 422 and "缺少必需的列" in r.text
    r = await multipart(sup, "/staff/list/import", "big.csv", b"a" * (1024 * 1024 + 10))
    assert r.status_code in (413, 422)


async def test_good_import_applies_once(sup, client, conn):
    code = await abolished_code(conn)
    existing = await cq.get_latest(conn, code)
    existing.note = "导入修改的备注"
    existing.effective_from = TODAY
    new = Certificate(code="", name="导入新增证明", status=Status.ABOLISHED, replacement="数据共享")
    r = await multipart(sup, "/staff/list/import", "list.csv", csv_of(existing, new))
    assert r.status_code == 303, r.text[:2000]
    where = r.headers["location"]
    page = await sup.get(where)
    assert "导入新增证明" in page.text and code in page.text and "备注" in page.text
    assert "确认导入" in page.text
    # The preview shows each changed field, old -> new.
    assert "<dt>备注</dt>" in page.text and "<ins>导入修改的备注</ins>" in page.text
    r = await post_form(sup, where + "/apply", {"reason": "按决定更新"})
    assert r.status_code == 303 and "已导入" in (await sup.get(r.headers["location"])).text
    assert (await cq.get_latest(conn, code)).note == "导入修改的备注"
    new_code = (await cq.codes_by_name(conn))["导入新增证明"]
    assert (await client.get(f"/api/v1/certificates/{new_code}")).json()["name"] == "导入新增证明"
    again = await post_form(sup, where + "/apply", {"reason": "再导入一次"})
    assert again.status_code == 409 and "已经导入过" in again.text
    assert len(await audits(conn, code)) == 1 and len(await audits(conn, new_code)) == 1
    n = await conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE action='list.import' AND reason='按决定更新'"
    )
    assert n == 1
    applied = await conn.fetchval(
        "SELECT applied_at IS NOT NULL FROM import_batches WHERE id=$1",
        int(where.rsplit("/", 1)[1]),
    )
    assert applied


async def test_xlsx_upload_previews_the_same_way(sup, conn):
    code = await abolished_code(conn)
    existing = await cq.get_latest(conn, code)
    existing.issuer = "表格里改的单位"
    existing.effective_from = TODAY
    body = transfer.export_xlsx([existing])
    r = await multipart(sup, "/staff/list/import", "list.xlsx", body)
    assert r.status_code == 303, r.text[:2000]
    page = await sup.get(r.headers["location"])
    assert "变更 <strong>1</strong>" in page.text and "开具单位" in page.text
    assert "确认导入" in page.text
