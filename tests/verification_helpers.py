"""Shared by the 协查 tests: logged-in clients of three departments and the office, and the
request form a clerk of department A sends."""

from __future__ import annotations

import datetime as dt

import httpx

from registry.infra import clock
from tests.staff_helpers import login, make_user

A, B, C = "CY-BM-001", "CY-BM-002", "CY-BM-003"
ITEM = "CY-ZM-010"  # 亲属关系证明, abolished
FORM = {
    "code": ITEM,
    "to_department": B,
    "matter": "办理低保",
    "case_ref": "DB-2026-0042",
    "question": "申请人与张四是否为父子关系",
    "applicant": "张三丰 410102199001011234",
}


async def clients(app, conn) -> dict[str, httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """depa, depb, depc (departments A, B, C) and sup (the office), each logged in."""
    out = {}
    for name, role, dep in [
        ("depa", "department", A),
        ("depb", "department", B),
        ("depc", "department", C),
        ("sup", "supervisor", None),
    ]:
        if not await conn.fetchval("SELECT true FROM users WHERE username = $1", name):
            await make_user(conn, name, role, dep)
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        assert (await login(c, name)).status_code == 303
        out[name] = c
    return out


def move_clock(monkeypatch, moment: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(clock, "utc_now", lambda: moment.astimezone(dt.UTC))


async def samples(conn) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One request of each kind a page shows, for the role x route matrix and the translated
    pages: to A (received: A answers), from A answered late by B, from B to C (A may not
    see it), and from A to C past its deadline and urged by the office."""
    from registry.verification import service
    from registry.workflow.engine import Actor

    dep = {code: Actor(f"clerk-{code}", "department", code) for code in (A, B, C)}
    # An item with a term of its own (the office's terms page lists it).
    await conn.execute(
        "INSERT INTO verification_terms (code, unit, amount) VALUES ('CY-ZM-011', 'days', 2)"
    )
    office = Actor("sup", "supervisor")
    to_a = await service.open_request(conn, dep[C], FORM | {"to_department": A})
    await service.act(conn, to_a.reference, "receive", dep[A], expected="pending", form={})
    answered = await service.open_request(conn, dep[A], FORM)
    await service.act(conn, answered.reference, "receive", dep[B], expected="pending", form={})
    elsewhere = await service.open_request(conn, dep[B], FORM | {"to_department": C})
    urged = await service.open_request(conn, dep[A], FORM | {"to_department": C})
    await conn.execute(
        "UPDATE verification_requests SET due_at = due_at - interval '3 days'"
        " WHERE reference = ANY($1::text[])",
        [answered.reference, urged.reference],
    )
    await service.act(
        conn, answered.reference, "answer", dep[B], expected="received",
        form={"result": "not_confirmed", "note": "档案中无此记录"},
    )  # fmt: skip
    from registry.verification import sweep

    await sweep.mark_overdue(conn)
    await service.act(conn, urged.reference, "urge", office, expected="overdue",
                      form={"note": "请今日答复"})  # fmt: skip
    return {
        "xc_to_a": to_a.reference,
        "xc_answered": answered.reference,
        "xc_elsewhere": elsewhere.reference,
        "xc_urged": urged.reference,
    }
