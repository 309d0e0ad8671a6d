"""Signed 告知承诺 through the departments' API: the department the commitment names looks it
up and records the check once; another department gets 404 on both; a stale `expected` 409."""

from __future__ import annotations

import httpx
import pytest

from tests.commitment_helpers import CANARY_ID, DEPT_A, sign_directly
from tests.test_verification_api import bearer

URL = "/api/v1/commitments"
DEPT_B = "CY-BM-002"


@pytest.fixture
async def deps(app, conn):  # type: ignore[no-untyped-def]
    out = {d: await bearer(app, conn, d) for d in (DEPT_A, DEPT_B)}
    yield out
    for c in out.values():
        await c.aclose()


async def test_the_signing_department_looks_up_and_checks_once(deps, conn):
    [ref] = await sign_directly(conn, 1)
    r = await deps[DEPT_A].get(f"{URL}/{ref}")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["id_number"]) == ("signed", CANARY_ID)
    r = await deps[DEPT_A].post(f"{URL}/{ref}/check", json={"result": "untrue"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "note"
    r = await deps[DEPT_A].post(
        f"{URL}/{ref}/check",
        json={"result": "untrue", "note": "婚姻登记系统显示已婚", "expected": "signed"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["check_result"]) == ("checked", "untrue")
    assert body["checked_by"].startswith("token:")
    # Once: a second check (the client's view is stale) is 409, and nothing changes.
    again = await deps[DEPT_A].post(
        f"{URL}/{ref}/check", json={"result": "true", "expected": "signed"}
    )
    assert again.status_code == 409
    assert (await deps[DEPT_A].get(f"{URL}/{ref}")).json()["check_result"] == "untrue"
    audit = await conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'commitment.check' AND entity_id = $1", ref
    )
    assert audit == 1


async def test_another_department_gets_404(deps, conn):
    [ref] = await sign_directly(conn, 1)
    assert (await deps[DEPT_B].get(f"{URL}/{ref}")).status_code == 404
    r = await deps[DEPT_B].post(f"{URL}/{ref}/check", json={"result": "true"})
    assert r.status_code == 404
    assert (await deps[DEPT_A].get(f"{URL}/{ref}")).json()["status"] == "signed"


async def test_no_token_no_commitment(app, conn):
    [ref] = await sign_directly(conn, 1)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        r = await c.get(f"{URL}/{ref}")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
