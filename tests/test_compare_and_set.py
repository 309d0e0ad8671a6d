"""Compare-and-set between two real sessions: both saw the complaint in one state, both act,
exactly one wins; the other is told (Stale, a 409 page) and writes nothing.

Each race is forced, not left to timing: a third connection holds the complaint's row lock while
both contenders read it and plan their step, and lets go only once both wait on that lock in
their UPDATE (see tests/twoconn.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import asyncpg
import httpx
import msgspec
import pytest

from registry.accounts.models import Role, StaffUser
from registry.complaints import workflow
from registry.complaints.queries.complaint_steps import Changes
from registry.complaints.workflow import Action
from registry.web.app import create_app
from tests.staff_helpers import (
    DEPT_A,
    complaint_id,
    file_complaint,
    login,
    make_user,
    post_form,
)
from tests.twoconn import CommittedDatabase, committed_db_fixture  # noqa: F401  (the fixture)


async def race(db: CommittedDatabase, cid: int, *contenders: Awaitable[object]) -> list[object]:
    """Run the contenders while the complaint's row is locked; release it once all of them wait
    on it in their UPDATE, so each has read the same state first. Results or exceptions."""
    (locker,) = await db.connect(1)
    tr = locker.transaction()
    await tr.start()
    await locker.execute("SELECT id FROM complaints WHERE id = $1 FOR UPDATE", cid)
    tasks = [asyncio.ensure_future(c) for c in contenders]
    try:
        await db.wait_for_lock_waiters(len(tasks))
    finally:
        await tr.rollback()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    return list(results)


async def staff_user(conn: asyncpg.Connection, name: str, role: str, dep: str | None = None):
    uid = await make_user(conn, name, role, dep)
    return StaffUser(id=uid, username=name, display_name=name, role=Role(role), department_code=dep)


async def timeline(conn: asyncpg.Connection, cid: int) -> list[tuple[str, str | None, str]]:
    rows = await conn.fetch(
        "SELECT kind, status_from, status_to FROM complaint_events"
        " WHERE complaint_id = $1 ORDER BY id",
        cid,
    )
    return [(r["kind"], r["status_from"], r["status_to"]) for r in rows]


async def audited(conn: asyncpg.Connection, cid: int) -> list[str]:
    return [
        r["action"]
        for r in await conn.fetch(
            "SELECT a.action FROM audit_log a JOIN complaints c ON c.reference = a.entity_id"
            " WHERE a.entity = 'complaint' AND c.id = $1 ORDER BY a.id",
            cid,
        )
    ]


async def mails(conn: asyncpg.Connection, cid: int) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE complaint_id = $1", cid))


async def filed(db: CommittedDatabase, settings) -> tuple[int, httpx.AsyncClient]:
    """A complaint filed through the API of an app on a real pool (committed); its id."""
    app = create_app(settings, pool=await db.pool(6))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    ref = await file_complaint(client)
    (conn,) = await db.connect(1)
    return await complaint_id(conn, ref), client


async def test_accept_and_reject_at_once_one_wins_the_other_is_stale(committed_db, settings):
    a, b, check = await committed_db.connect(3)
    cid, client = await filed(committed_db, settings)
    await client.aclose()
    one, two = await staff_user(a, "sup1", "supervisor"), await staff_user(a, "sup2", "supervisor")
    results = await race(
        committed_db,
        cid,
        workflow.transition(a, cid, Action.ACCEPT, one, expected="submitted", form={}),
        workflow.transition(
            b, cid, Action.REJECT, two, expected="submitted", form={"reason": "重复"}
        ),
    )
    won = [r for r in results if isinstance(r, str)]
    lost = [r for r in results if isinstance(r, workflow.Stale)]
    assert len(won) == 1 and len(lost) == 1, results
    winner = Action.ACCEPT if won == ["accepted"] else Action.REJECT
    assert won == ["accepted" if winner is Action.ACCEPT else "rejected"]
    # The loser wrote nothing: one step on the timeline, one audit row, one message.
    assert await timeline(check, cid) == [
        ("submitted", None, "submitted"),
        (str(winner), "submitted", won[0]),
    ]
    assert await audited(check, cid) == ["complaint.file", f"complaint.{winner}"]
    assert await mails(check, cid) == 2  # the acknowledgement and the winner's step
    row = await check.fetchrow(
        "SELECT status, accepted_at IS NOT NULL AS accepted, reject_reason FROM complaints"
        " WHERE id = $1",
        cid,
    )
    # Not a blend of both steps.
    assert dict(row) == (
        {"status": "accepted", "accepted": True, "reject_reason": ""}
        if winner is Action.ACCEPT
        else {"status": "rejected", "accepted": False, "reject_reason": "重复"}
    )


async def test_two_staff_pages_posting_at_once_get_303_and_409(committed_db, settings):
    """Through the app on a real pool: the loser's page comes back 409 with the current state."""
    (setup,) = await committed_db.connect(1)
    cid, citizen = await filed(committed_db, settings)
    await citizen.aclose()
    await make_user(setup, "sup1", "supervisor")
    await make_user(setup, "sup2", "supervisor")
    app = create_app(settings, pool=await committed_db.pool(6))
    clients = []
    for name in ("sup1", "sup2"):
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        assert (await login(c, name)).status_code == 303
        clients.append(c)
    url = f"/staff/complaints/{cid}"
    try:
        results = await race(
            committed_db,
            cid,
            post_form(clients[0], f"{url}/accept", {"expected": "submitted"}),
            post_form(clients[1], f"{url}/reject", {"expected": "submitted", "reason": "重复"}),
        )
    finally:
        for c in clients:
            await c.aclose()
    codes = [r.status_code for r in results]  # type: ignore[union-attr]
    assert sorted(codes) == [303, 409], results
    lost = results[codes.index(409)]
    assert "刚被其他人处理过" in lost.text  # type: ignore[union-attr]
    status = await setup.fetchval("SELECT status FROM complaints WHERE id = $1", cid)
    assert status == ("accepted" if codes[0] == 303 else "rejected")
    assert [k for k, _, _ in await timeline(setup, cid)] == [
        "submitted",
        "accept" if codes[0] == 303 else "reject",
    ]


# The same step twice at once, where the step keeps the status: each may happen once per case
# (an extension) or once per closing (a follow-up), so one of the two must lose.
SAME_STATUS = {
    Action.EXTEND: (
        "UPDATE complaints SET status = 'assigned', assigned_department = $2,"
        " accepted_at = now() WHERE id = $1",
        "department",
        {"reason": "需调取录像"},
    ),
    Action.FOLLOW_UP: (
        "UPDATE complaints SET status = 'closed', assigned_department = $2, accepted_at = now(),"
        " replied_at = now(), closed_at = now(), finding = 'substantiated', action_taken = '整改'"
        " WHERE id = $1",
        "supervisor",
        {"satisfaction": "satisfied"},
    ),
}


@pytest.mark.parametrize("action", list(SAME_STATUS), ids=str)
async def test_the_same_step_twice_at_once_happens_once(committed_db, settings, action):
    a, b, check = await committed_db.connect(3)
    cid, client = await filed(committed_db, settings)
    await client.aclose()
    setup, role, form = SAME_STATUS[action]
    await check.execute(setup, cid, DEPT_A)
    status = await check.fetchval("SELECT status FROM complaints WHERE id = $1", cid)
    dep = DEPT_A if role == "department" else None
    one, two = await staff_user(a, "one", role, dep), await staff_user(a, "two", role, dep)
    results = await race(
        committed_db,
        cid,
        workflow.transition(a, cid, action, one, expected=status, form=form),
        workflow.transition(b, cid, action, two, expected=status, form=form),
    )
    assert sum(isinstance(r, workflow.Stale) for r in results) == 1, results
    assert [k for k, _, _ in await timeline(check, cid)] == ["submitted", str(action)]
    assert await audited(check, cid) == ["complaint.file", f"complaint.{action}"]


def test_a_change_set_is_typed_so_a_misspelt_field_fails() -> None:
    """compare_and_set takes a Changes struct: a misspelt or unknown field is an error (and a
    mypy error), never a change silently dropped; a wrong type fails when decoded."""
    with pytest.raises(TypeError, match="acepted"):
        Changes(acepted=True)  # type: ignore[call-arg]
    with pytest.raises(msgspec.ValidationError, match="reply_days"):
        msgspec.convert({"reply_days": "fifteen"}, Changes)
    with pytest.raises(msgspec.ValidationError, match="rejct_reason"):
        msgspec.convert({"rejct_reason": "x"}, Changes)
    assert Changes(accepted=True, reply_days=15).for_audit() == {"accepted": True, "reply_days": 15}
