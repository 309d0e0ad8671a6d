"""部门核查 through the staff pages: department A opens a request, B receives and answers it, A
sees the answer; C can neither read nor answer it (404, not 403); the office finds it overdue
once the clock passes the deadline and 督办s, which B then sees."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from registry.infra import clock
from tests.staff_helpers import post_form
from tests.verification_helpers import FORM, clients, move_clock

MONDAY_10 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=clock.ZONE)


@pytest.fixture
async def staff(app, conn, monkeypatch):
    move_clock(monkeypatch, MONDAY_10)
    out = await clients(app, conn)
    yield out
    for c in out.values():
        await c.aclose()


async def open_one(client, **over: str) -> str:
    r = await post_form(client, "/staff/verification/new", FORM | over)
    assert r.status_code == 303, r.text[:2000]
    return r.headers["location"].split("?")[0].rsplit("/", 1)[-1]


async def test_a_asks_b_answers_a_sees(staff) -> None:
    a, b = staff["depa"], staff["depb"]
    form = await a.get("/staff/verification/new?code=CY-ZM-010")
    assert form.status_code == 200 and 'value="CY-ZM-010" selected' in form.text
    bad = await post_form(a, "/staff/verification/new", {"code": "CY-ZM-010", "matter": "留着"})
    assert bad.status_code == 422
    assert "请选择被核查的部门" in bad.text and "请写明需要核查确认的内容" in bad.text
    assert 'value="留着"' in bad.text  # the input kept
    ref = await open_one(a)
    assert re.fullmatch(r"XC-2026-\d{6}", ref)
    outgoing = await a.get("/staff/verification?box=outgoing")
    assert ref in outgoing.text and "张** 4101**********1234" in outgoing.text
    assert "张三丰" not in outgoing.text  # masked in every list
    incoming = await b.get("/staff/verification")
    assert ref in incoming.text and "张三丰" not in incoming.text
    page = await b.get(f"/staff/verification/{ref}")
    assert "张三丰 410102199001011234" in page.text  # in full on the request's own page
    assert f"/staff/verification/{ref}/receive" in page.text
    assert f"/staff/verification/{ref}/answer" not in page.text
    r = await post_form(b, f"/staff/verification/{ref}/receive", {"expected": "pending"})
    assert r.status_code == 303
    stale = await post_form(b, f"/staff/verification/{ref}/receive", {"expected": "pending"})
    assert stale.status_code == 409 and "刚被其他人处理过" in stale.text
    half = {"expected": "received", "note": "查无异常"}
    missing = await post_form(b, f"/staff/verification/{ref}/answer", half)
    assert missing.status_code == 422 and "请选择核查结果" in missing.text
    assert "查无异常" in missing.text
    r = await post_form(
        b, f"/staff/verification/{ref}/answer",
        {"expected": "received", "result": "confirmed", "note": "户籍档案载明父子关系"},
    )  # fmt: skip
    assert r.status_code == 303
    seen = await a.get(f"/staff/verification/{ref}")
    assert "属实" in seen.text and "户籍档案载明父子关系" in seen.text
    assert "/answer" not in seen.text  # A has nothing to do


async def test_another_department_gets_404_not_403(staff) -> None:
    ref = await open_one(staff["depa"])
    c = staff["depc"]
    assert (await c.get(f"/staff/verification/{ref}")).status_code == 404
    r = await post_form(c, f"/staff/verification/{ref}/answer",
                        {"expected": "pending", "result": "confirmed"})  # fmt: skip
    assert r.status_code == 404
    assert ref not in (await c.get("/staff/verification?box=incoming")).text
    assert (await staff["depb"].get(f"/staff/verification/{ref}")).status_code == 200
    # A (the asking department) sees it but cannot answer it.
    r = await post_form(
        staff["depa"], f"/staff/verification/{ref}/receive", {"expected": "pending"}
    )
    assert r.status_code == 409


async def test_the_office_urges_an_overdue_request_and_b_sees_it(staff, monkeypatch) -> None:
    ref = await open_one(staff["depa"])
    sup, b = staff["sup"], staff["depb"]
    assert (await sup.get("/staff/verification/new")).status_code == 403
    assert ref not in (await sup.get("/staff/verification?status=overdue")).text
    assert f"/{ref}/urge" not in (await sup.get(f"/staff/verification/{ref}")).text
    move_clock(monkeypatch, MONDAY_10 + dt.timedelta(hours=8))  # 18:00, past 17:30
    listed = await sup.get("/staff/verification?status=overdue")
    assert ref in listed.text and "超期" in listed.text
    r = await post_form(sup, f"/staff/verification/{ref}/urge",
                        {"expected": "pending", "note": "请立即答复"})  # fmt: skip
    assert r.status_code == 303
    page = await b.get(f"/staff/verification/{ref}")
    assert "监督部门已督办 1 次" in page.text and "请立即答复" in page.text
    incoming = await b.get("/staff/verification")
    assert "督办" in incoming.text.split(ref, 1)[1].split("</tr>", 1)[0]


async def test_the_office_sets_an_items_term(staff, conn) -> None:
    sup = staff["sup"]
    assert (await staff["depa"].get("/staff/verification-terms")).status_code == 403
    bad = await post_form(
        sup, "/staff/verification-terms", {"code": "CY-ZM-010", "unit": "hours", "amount": "99"}
    )
    assert bad.status_code == 422 and "请填写 1 到 60 之间的整数" in bad.text
    assert 'value="99"' in bad.text
    form = {"code": "CY-ZM-010", "unit": "hours", "amount": "4"}
    assert (await post_form(sup, "/staff/verification-terms", form)).status_code == 303
    page = await sup.get("/staff/verification-terms")
    assert "CY-ZM-010" in page.text.split("<h2>", 1)[0] and "4 个工作小时" in page.text
    ref = await open_one(staff["depa"])  # Monday 10:00 + 4 office hours
    detail = await staff["depb"].get(f"/staff/verification/{ref}")
    assert "2026-12-07 14:00" in detail.text
    audited = await conn.fetchval(
        "SELECT after FROM audit_log WHERE action = 'verification.term' AND entity_id = $1",
        "CY-ZM-010",
    )
    assert audited == {"unit": "hours", "amount": 4}
    form = {"code": "CY-ZM-010", "unit": "default"}
    assert (await post_form(sup, "/staff/verification-terms", form)).status_code == 303
    assert "所有事项都按默认期限" in (await sup.get("/staff/verification-terms")).text
