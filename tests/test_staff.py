"""Staff accounts and the complaint workflow, through the pages."""

from __future__ import annotations

import httpx
import pytest

from registry.accounts import auth
from tests.mail_helpers import mails
from tests.staff_helpers import (
    DEPT_A,
    DEPT_B,
    complaint_id,
    file_complaint,
    login,
    make_user,
    post_form,
)

CANARY_PHONE = "13712345678"
CANARY_EMAIL = "canary-staff@example.org"
RESULT = "已责令窗口改正，今后办理不再索要该证明。"


@pytest.fixture
async def staff(app, conn):
    """Logged-in clients by role name; each has its own cookie jar."""
    await make_user(conn, "sup", "supervisor")
    await make_user(conn, "adm", "admin")
    await make_user(conn, "depa", "department", DEPT_A)
    await make_user(conn, "depb", "department", DEPT_B)
    clients: dict[str, httpx.AsyncClient] = {}
    for name in ("sup", "adm", "depa", "depb"):
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        r = await login(c, name)
        assert r.status_code == 303, r.text
        clients[name] = c
    yield clients
    for c in clients.values():
        await c.aclose()


async def act(client, cid: int, action: str, expected: str, **fields):
    return await post_form(
        client, f"/staff/complaints/{cid}/{action}", {"expected": expected, **fields}
    )


async def counts(conn, cid: int) -> tuple[int, int]:
    events = await conn.fetchval("SELECT count(*) FROM complaint_events WHERE complaint_id=$1", cid)
    ref = await conn.fetchval("SELECT reference FROM complaints WHERE id=$1", cid)
    audits = await conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE entity='complaint' AND entity_id=$1", ref
    )
    return events, audits


async def test_session_id_changes_at_login_and_dies_at_logout(client, conn):
    await make_user(conn, "sup", "supervisor")
    client.cookies.set(auth.COOKIE, "planted-by-an-attacker")
    r = await login(client, "sup")
    assert r.status_code == 303
    token = r.cookies[auth.COOKIE]
    assert token != "planted-by-an-attacker"
    assert (await client.get("/staff/complaints")).status_code == 200
    await post_form(client, "/staff/logout", {})
    stale = httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver", cookies={auth.COOKIE: token}
    )
    r = await stale.get("/staff/complaints")
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")
    await stale.aclose()


async def test_unknown_user_and_wrong_password_get_the_same_answer(client, conn):
    await make_user(conn, "sup", "supervisor")
    a = await login(client, "nobody")
    b = await login(client, "sup", "wrong password!")
    assert a.status_code == b.status_code == 401
    assert a.text.replace("nobody", "") == b.text.replace("sup", "")


async def test_anonymous_is_sent_to_login(client):
    r = await client.get("/staff/complaints")
    assert r.status_code == 303 and r.headers["location"] == "/staff/login?next=/staff/complaints"


async def test_full_life_of_a_complaint_through_the_pages(client, conn, staff):
    ref = await file_complaint(client)
    cid = await complaint_id(conn, ref)
    sup, depa = staff["sup"], staff["depa"]
    page = await sup.get("/staff/complaints")
    assert ref in page.text
    steps = [
        (sup, "accept", "submitted", {}),
        (sup, "assign", "accepted", {"department": DEPT_A}),
        (depa, "extend", "assigned", {"reason": "需调取窗口录像"}),
        (
            depa,
            "reply",
            "assigned",
            {"finding": "substantiated", "action_taken": "已批评教育窗口人员"},
        ),
        (sup, "close", "replied", {"result": RESULT}),
        (sup, "follow_up", "closed", {"satisfaction": "satisfied"}),
    ]
    for who, action, expected, fields in steps:
        before = await counts(conn, cid)
        r = await act(who, cid, action, expected, **fields)
        assert r.status_code == 303, (action, r.text[:500])
        after = await counts(conn, cid)
        assert after == (before[0] + 1, before[1] + 1), action
    row = await conn.fetchrow(
        "SELECT status, satisfaction, finding, closed_on_time, extended"
        " FROM complaints WHERE id=$1",
        cid,
    )
    assert dict(row) == {
        "status": "closed",
        "satisfaction": "satisfied",
        "finding": "substantiated",
        "closed_on_time": True,
        "extended": True,
    }
    # The complainant left an e-mail: the acknowledgement, then one message per public step,
    # in order (the extension and the follow-up keep the status, and are news all the same).
    outbox = await mails(conn, cid)  # stored as data, rendered as sent
    assert [(o.recipient, o.subject) for o in outbox] == [
        (CANARY_EMAIL, f"投诉已收到：{ref}"),
        (CANARY_EMAIL, f"投诉 {ref}：已受理"),  # accept
        (CANARY_EMAIL, f"投诉 {ref}：已转办，部门办理中"),  # assign
        (CANARY_EMAIL, f"投诉 {ref}：已转办，部门办理中"),  # extend
        (CANARY_EMAIL, f"投诉 {ref}：部门已反馈"),  # reply
        (CANARY_EMAIL, f"投诉 {ref}：已办结"),  # close
        (CANARY_EMAIL, f"投诉 {ref}：已办结"),  # follow-up
    ]
    notes = ["受理期限", "答复期限", "转交", "延长至", "情况属实", RESULT, "已回访：满意"]
    assert [note in o.body for o, note in zip(outbox, notes, strict=True)] == [True] * 7


async def test_unsatisfied_follow_up_reopens_once(client, conn, staff):
    ref = await file_complaint(client)
    cid = await complaint_id(conn, ref)
    sup, depa = staff["sup"], staff["depa"]
    for who, action, expected, fields in [
        (sup, "accept", "submitted", {}),
        (sup, "assign", "accepted", {"department": DEPT_A}),
        (depa, "reply", "assigned", {"finding": "unsubstantiated", "action_taken": "核查"}),
        (sup, "close", "replied", {"result": RESULT}),
        (sup, "follow_up", "closed", {"satisfaction": "unsatisfied"}),
    ]:
        assert (await act(who, cid, action, expected, **fields)).status_code == 303
    assert await conn.fetchval("SELECT status FROM complaints WHERE id=$1", cid) == "assigned"
    for who, action, expected, fields in [
        (depa, "reply", "assigned", {"finding": "substantiated", "action_taken": "已整改"}),
        (sup, "close", "replied", {"result": RESULT}),
        (sup, "follow_up", "closed", {"satisfaction": "very_unsatisfied"}),
    ]:
        assert (await act(who, cid, action, expected, **fields)).status_code == 303
    # Reopened only once: the second unsatisfied follow-up leaves it closed.
    assert await conn.fetchval("SELECT status FROM complaints WHERE id=$1", cid) == "closed"


async def test_stale_transition_is_409_and_writes_nothing(client, conn, staff):
    ref = await file_complaint(client)
    cid = await complaint_id(conn, ref)
    assert (await act(staff["sup"], cid, "accept", "submitted")).status_code == 303
    before = await counts(conn, cid)
    r = await act(staff["sup"], cid, "reject", "submitted", reason="重复")
    assert r.status_code == 409 and "刚被其他人处理过" in r.text
    assert await counts(conn, cid) == before


async def test_invalid_transition_input_is_422_and_writes_nothing(client, conn, staff):
    ref = await file_complaint(client)
    cid = await complaint_id(conn, ref)
    before = await counts(conn, cid)
    r = await act(staff["sup"], cid, "reject", "submitted", reason="  ")
    assert r.status_code == 422 and "理由" in r.text
    assert await counts(conn, cid) == before


async def test_department_b_sees_nothing_of_department_a(client, conn, staff):
    ref = await file_complaint(client)
    cid = await complaint_id(conn, ref)
    sup, depa, depb = staff["sup"], staff["depa"], staff["depb"]
    await act(sup, cid, "accept", "submitted")
    await act(sup, cid, "assign", "accepted", department=DEPT_A)
    assert ref in (await depa.get("/staff/complaints")).text
    assert ref not in (await depb.get("/staff/complaints")).text
    assert ref not in (await depb.get(f"/staff/complaints?department={DEPT_A}")).text
    assert (await depb.get(f"/staff/complaints/{cid}")).status_code == 404
    r = await act(depb, cid, "reply", "assigned", finding="substantiated", action_taken="x")
    assert r.status_code in (404, 409)
    assert await conn.fetchval("SELECT status FROM complaints WHERE id=$1", cid) == "assigned"


async def test_contact_only_in_the_supervisors_audited_reveal(client, conn, staff):
    ref = await file_complaint(client)
    cid = await complaint_id(conn, ref)
    sup, depa = staff["sup"], staff["depa"]
    await act(sup, cid, "accept", "submitted")
    await act(sup, cid, "assign", "accepted", department=DEPT_A)
    for c in (sup, depa):
        page = (await c.get(f"/staff/complaints/{cid}")).text
        assert CANARY_PHONE not in page and CANARY_EMAIL not in page
    assert (
        await post_form(depa, f"/staff/complaints/{cid}/reveal", {"reason": "x"})
    ).status_code == 403
    no_reason = await post_form(sup, f"/staff/complaints/{cid}/reveal", {"reason": ""})
    assert no_reason.status_code == 422 and CANARY_PHONE not in no_reason.text
    r = await post_form(sup, f"/staff/complaints/{cid}/reveal", {"reason": "需电话核实情况"})
    assert r.status_code == 200 and CANARY_PHONE in r.text and CANARY_EMAIL in r.text
    row = await conn.fetchrow(
        "SELECT actor, reason FROM audit_log WHERE action='contact.reveal' AND entity_id=$1", ref
    )
    assert row["actor"] == "sup" and row["reason"] == "需电话核实情况"


async def test_audit_log_is_append_only(conn):
    import asyncpg

    await conn.execute("SAVEPOINT s")
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await conn.execute("UPDATE audit_log SET actor = 'x'")
    await conn.execute("ROLLBACK TO SAVEPOINT s")
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await conn.execute("DELETE FROM audit_log")
    await conn.execute("ROLLBACK TO SAVEPOINT s")
