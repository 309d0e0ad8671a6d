"""The loop between complaints and the replacements (issue 15, Build 4): the office sees, beside
a complaint that a department demanded an item's certificate, what replaces the item and the
协查 requests that department opened for it; the public sees each consulted department's
on-time answers and the complaints per item, both under the minimum volume rule."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from registry.complaints.queries.stats import MIN_CASES
from registry.infra import clock
from registry.verification import service
from registry.workflow.engine import Actor
from tests.staff_helpers import (
    DEPT_A,
    complaint_id,
    file_complaint,
    login,
    make_user,
    post_form,
)

A, B = DEPT_A, "CY-BM-002"
ITEM = "CY-ZM-010"  # 亲属关系证明, abolished
CLERK_A, CLERK_B = Actor("clerk_a", "department", A), Actor("clerk_b", "department", B)
MONDAY = dt.date(2026, 12, 7)


def form(n: int) -> dict[str, str]:
    return {
        "code": ITEM,
        "to_department": B,
        "matter": "办理低保",
        "case_ref": f"DB-2026-{n:04d}",
        "question": "申请人与张四是否为父子关系",
        "applicant": "张三丰",
    }


@pytest.fixture
def at(monkeypatch):  # type: ignore[no-untyped-def]
    def move(day: dt.date, hm: str) -> None:
        moment = dt.datetime.combine(day, dt.time.fromisoformat(hm), tzinfo=clock.ZONE)
        monkeypatch.setattr(clock, "utc_now", lambda: moment.astimezone(dt.UTC))

    return move


async def answered(conn, n: int) -> str:  # type: ignore[no-untyped-def]
    req = await service.open_request(conn, CLERK_A, form(n))
    await service.act(conn, req.reference, "receive", CLERK_B, expected="pending", form={})
    answer = {"result": "confirmed", "note": "户籍档案记载属实"}
    await service.act(conn, req.reference, "answer", CLERK_B, expected="received", form=answer)
    return req.reference


async def figures_of(client, department: str) -> dict | None:  # type: ignore[no-untyped-def]
    body = (await client.get("/api/v1/stats/verification")).json()
    assert body["min_cases_for_rates"] == MIN_CASES
    return next((d for d in body["by_department"] if d["department_code"] == department), None)


async def test_on_time_figures_start_at_the_minimum_volume(client, conn, at):  # type: ignore[no-untyped-def]
    at(MONDAY, "09:00")
    assert await figures_of(client, B) is None  # never asked: not listed
    for n in range(MIN_CASES - 2):
        await answered(conn, n)
    late = await service.open_request(conn, CLERK_A, form(99))  # due Monday 17:30
    at(MONDAY + dt.timedelta(days=1), "09:00")
    few = await figures_of(client, B)
    assert few is not None
    assert (few["received"], few["answered"], few["overdue_open"]) == (
        MIN_CASES - 1,
        MIN_CASES - 2,
        1,
    )
    assert few["on_time_rate"] is None and few["average_answer_hours"] is None
    page = (await client.get("/stats")).text
    assert f"不足 {MIN_CASES} 件，不计算比率" in page
    await service.act(conn, late.reference, "receive", CLERK_B, expected="pending", form={})
    # Answered a day late: decided, but not on time.
    late_answer = {"result": "no_record", "note": ""}
    await service.act(
        conn, late.reference, "answer", CLERK_B, expected="received", form=late_answer
    )
    rated = await figures_of(client, B)
    assert rated is not None and rated["answered"] == MIN_CASES - 1
    assert rated["on_time_rate"] is None  # 4 decided < 5
    await answered(conn, 100)
    rated = await figures_of(client, B)
    assert rated is not None
    assert rated["on_time_rate"] == round((MIN_CASES - 1) / MIN_CASES, 3)
    assert rated["average_answer_hours"] is not None and rated["average_answer_hours"] > 0
    page = (await client.get("/stats")).text
    assert "按时答复率 80.0%" in page


async def test_complaints_per_item_only_from_the_minimum_volume(client):  # type: ignore[no-untyped-def]
    before = (await client.get("/api/v1/stats")).json()
    assert before["by_item"] == [] or all(i["count"] >= MIN_CASES for i in before["by_item"])
    for _ in range(MIN_CASES - 1):
        await file_complaint(client)  # 良民证 -> 无犯罪记录证明
    await file_complaint(client, certificate_name="亲属关系证明")
    stats = (await client.get("/api/v1/stats")).json()
    assert stats["by_item"] == []
    assert stats["items_below_minimum"] == MIN_CASES
    await file_complaint(client)
    stats = (await client.get("/api/v1/stats")).json()
    [item] = stats["by_item"]
    assert item["name"].startswith("无犯罪记录证明")
    assert (item["status"], item["count"]) == ("abolished", MIN_CASES)
    assert stats["items_below_minimum"] == 1
    page = (await client.get("/stats")).text
    assert re.search(r"无犯罪记录证明[^<]*</a></td><td>取消</td><td>5</td>", page)


async def test_the_office_sees_the_replacement_and_the_departments_requests(  # type: ignore[no-untyped-def]
    client, conn, app, at
):
    at(MONDAY, "09:00")
    reference = await file_complaint(client, certificate_name="亲属关系证明")
    cid = await complaint_id(conn, reference)
    await make_user(conn, "office1", "supervisor")
    await login(client, "office1")
    page = (await client.get(f"/staff/complaints/{cid}")).text
    assert "这个事项的替代方式" in page and "部门间核查" in page
    assert "被投诉单位从未就这个事项向其他部门发起核查" in page
    opened = await service.open_request(conn, CLERK_A, form(1))
    await service.open_request(
        conn, Actor("clerk_b", "department", B), form(2) | {"to_department": A}
    )
    page = (await client.get(f"/staff/complaints/{cid}")).text
    assert opened.reference in page and "共 1 件" in page  # B's request to A is not A's
    # The department handling the complaint does not see it: other departments' requests.
    await conn.execute("UPDATE complaints SET assigned_department = $1 WHERE id = $2", A, cid)
    await post_form(client, "/staff/logout", {})
    await make_user(conn, "clerk_a", "department", A)
    await login(client, "clerk_a")
    page = (await client.get(f"/staff/complaints/{cid}")).text
    assert "这个事项的替代方式" not in page and opened.reference not in page
