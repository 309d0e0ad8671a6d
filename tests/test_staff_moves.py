"""The staff complaint page asks the workflow engine: for every role and status (and the facts
the table's guards look at) its buttons are exactly the moves engine.allowed() returns."""

from __future__ import annotations

import re

import httpx
import pytest

from registry.accounts.models import Role, StaffUser
from registry.complaints import workflow
from registry.complaints.models import ComplaintStatus
from registry.complaints.queries import complaints as q
from tests.staff_helpers import DEPT_A, complaint_id, file_complaint, login, make_user

# (status, what else is true of the case) -> the supervisor's and the department's moves
CASES = {
    ("submitted", ""): (["accept", "reject", "note"], ["note"]),
    ("accepted", ""): (["assign", "note"], ["note"]),
    ("rejected", ""): (["note"], ["note"]),
    ("assigned", ""): (["extend", "reply", "note"], ["extend", "reply", "note"]),
    ("assigned", "extended"): (["reply", "note"], ["reply", "note"]),
    ("replied", ""): (["close", "note"], ["note"]),
    ("closed", ""): (["follow_up", "note"], ["note"]),
    ("closed", "rated"): (["note"], ["note"]),
}
FACTS = {
    "": "",
    "extended": ", deadline_reason = 'extended', extension_reason = '录像'",
    "rated": ", satisfaction = 'satisfied', followed_up_at = now() + interval '1 minute'",
}


@pytest.fixture
async def people(app, conn):
    out = {}
    for name, role, dep in (("m_sup", "supervisor", None), ("m_dep", "department", DEPT_A)):
        uid = await make_user(conn, name, role, dep)
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        assert (await login(c, name)).status_code == 303
        user = StaffUser(id=uid, username=name, display_name=name, role=Role(role),
                         department_code=dep)  # fmt: skip
        out[role] = (user, c)
    yield out
    for _, c in out.values():
        await c.aclose()


def test_every_status_is_covered() -> None:
    assert {s for s, _ in CASES} == {str(s) for s in ComplaintStatus}


@pytest.mark.parametrize(("status", "facts"), list(CASES), ids="-".join)
async def test_the_page_offers_exactly_the_engines_moves(client, conn, people, status, facts):
    cid = await complaint_id(conn, await file_complaint(client))
    await conn.execute(
        f"UPDATE complaints SET status = $2, assigned_department = $3, closed_at = now()"
        f"{FACTS[facts]} WHERE id = $1",
        cid,
        status,
        DEPT_A,
    )
    row = await q.get_for_staff(conn, cid, None)
    for i, role in enumerate(("supervisor", "department")):
        user, c = people[role]
        page = await c.get(f"/staff/complaints/{cid}")
        assert page.status_code == 200, page.text
        buttons = re.findall(rf'action="/staff/complaints/{cid}/(\w+)"', page.text)
        shown = [b for b in buttons if b != "reveal"]
        assert shown == workflow.allowed(user, row), (role, shown)
        assert shown == CASES[status, facts][i]
