"""The 协查 API for departments' own systems: Bearer tokens per department, the same rules as
the pages (tests/test_verification_pages.py): idempotent creation, another pair's request is
404 on read and on every step, a stale `expected` is 409, bad bodies in the one error shape."""

from __future__ import annotations

import uuid

import httpx
import pytest

from registry.accounts import tokens
from tests.staff_helpers import login, make_user
from tests.verification_helpers import FORM, A, B, C

URL = "/api/v1/verifications"


async def bearer(app, conn, department: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    _, token = await tokens.issue(conn, department=department, label="测试系统", actor="test")
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"authorization": f"Bearer {token}"},
    )


@pytest.fixture
async def deps(app, conn):  # type: ignore[no-untyped-def]
    out = {d: await bearer(app, conn, d) for d in (A, B, C)}
    yield out
    for c in out.values():
        await c.aclose()


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def opened(client: httpx.AsyncClient, **over: str) -> dict:  # type: ignore[type-arg]
    r = await client.post(URL, json=FORM | over, headers=key())
    assert r.status_code == 201, r.text
    return r.json()


async def test_create_is_idempotent(deps, conn):
    headers = key()
    first = await deps[A].post(URL, json=FORM, headers=headers)
    again = await deps[A].post(URL, json=FORM, headers=headers)
    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    body = first.json()
    assert again.json()["reference"] == body["reference"]
    assert (body["from_department"], body["to_department"], body["status"]) == (A, B, "pending")
    assert body["created_by"].startswith("token:") and body["created_by"].endswith(f":{A}")
    n = await conn.fetchval(
        "SELECT count(*) FROM verification_requests WHERE reference = $1", body["reference"]
    )
    assert n == 1
    # The same key with another form is refused, not merged.
    other = await deps[A].post(URL, json=FORM | {"matter": "别的事"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "idempotency_key"
    # Without a key: 400 naming the header.
    r = await deps[A].post(URL, json=FORM)
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_the_consulted_department_receives_and_answers(deps):
    made = await opened(deps[A])
    ref = made["reference"]
    incoming = (await deps[B].get(URL, params={"box": "incoming"})).json()["items"]
    assert ref in [i["reference"] for i in incoming]
    listed = next(i for i in incoming if i["reference"] == ref)
    assert listed["applicant"] != FORM["applicant"] and "*" in listed["applicant"]
    r = await deps[B].post(f"{URL}/{ref}/receive", json={"expected": "pending"})
    assert r.status_code == 200 and r.json()["status"] == "received"
    r = await deps[B].post(
        f"{URL}/{ref}/answer",
        json={"result": "confirmed", "note": "户籍档案可查", "expected": "received"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["result"]) == ("answered", "confirmed")
    seen = (await deps[A].get(f"{URL}/{ref}")).json()
    assert (seen["result"], seen["note"]) == ("confirmed", "户籍档案可查")
    outgoing = (await deps[A].get(URL, params={"box": "outgoing", "status": "answered"})).json()
    assert [i["reference"] for i in outgoing["items"]] == [ref]


async def test_another_pair_can_neither_read_nor_answer(deps, conn):
    ref = (await opened(deps[A]))["reference"]
    for method, path, body in [
        ("GET", f"{URL}/{ref}", None),
        ("POST", f"{URL}/{ref}/receive", {"expected": "pending"}),
        ("POST", f"{URL}/{ref}/answer", {"result": "confirmed", "expected": "pending"}),
    ]:
        r = await deps[C].request(method, path, json=body)
        assert r.status_code == 404, (path, r.text)
        unknown = await deps[C].request(method, path.replace(ref, "XC-2026-999999"), json=body)
        assert unknown.status_code == 404 and unknown.json()["error"] == r.json()["error"]
    for box in ("incoming", "outgoing"):
        items = (await deps[C].get(URL, params={"box": box})).json()["items"]
        assert ref not in [i["reference"] for i in items]
    assert (
        await conn.fetchval("SELECT status FROM verification_requests WHERE reference = $1", ref)
        == "pending"
    )
    # The asking department cannot answer its own question either.
    r = await deps[A].post(f"{URL}/{ref}/receive", json={"expected": "pending"})
    assert r.status_code == 409


async def test_a_stale_expected_is_409(deps):
    ref = (await opened(deps[A]))["reference"]
    assert (await deps[B].post(f"{URL}/{ref}/receive", json={})).status_code == 200
    r = await deps[B].post(f"{URL}/{ref}/receive", json={"expected": "pending"})
    assert r.status_code == 409 and r.json()["status"] == 409
    r = await deps[B].post(
        f"{URL}/{ref}/answer", json={"result": "no_record", "expected": "pending"}
    )
    assert r.status_code == 409
    assert (await deps[A].get(f"{URL}/{ref}")).json()["status"] == "received"


async def test_bad_bodies_answer_in_the_error_shape(deps):
    r = await deps[A].post(URL, json={"code": "CY-ZM-001", "to_department": A}, headers=key())
    assert r.status_code == 422
    body = r.json()
    assert set(body) == {"status", "error", "errors"} and body["status"] == 422
    fields = {e["field"] for e in body["errors"]}
    assert {"code", "to_department", "matter", "case_ref", "question", "applicant"} <= fields
    r = await deps[A].post(URL, content=b"{not json", headers=key())
    assert r.status_code == 400 and set(r.json()) == {"status", "error", "errors"}
    r = await deps[A].post(URL, json={"matter": 5}, headers=key())
    assert r.status_code == 400
    ref = (await opened(deps[A]))["reference"]
    await deps[B].post(f"{URL}/{ref}/receive", json={})
    r = await deps[B].post(f"{URL}/{ref}/answer", json={"result": "maybe"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "result"
    r = await deps[B].get(URL, params={"box": "everything"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "box"


async def test_sessions_and_bad_tokens_get_401(app, conn, deps):
    """A logged-in clerk's cookie is no token; a wrong or revoked token is refused."""
    await make_user(conn, "depa", "department", A)
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    assert (await login(c, "depa")).status_code == 303
    for client in (c, deps[A]):
        saved = client.headers.pop("authorization", None)
        for auth in (None, "Bearer nope", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 43):
            headers = {"authorization": auth} if auth else {}
            r = await client.get(URL, headers=headers)
            assert r.status_code == 401, (auth, r.text)
            assert r.headers["www-authenticate"].startswith("Bearer")
            assert set(r.json()) == {"status", "error", "errors"}
        if saved:
            client.headers["authorization"] = saved
    await c.aclose()
    token_id = await conn.fetchval("SELECT max(id) FROM department_tokens WHERE department = $1", A)
    assert (await deps[A].get(URL)).status_code == 200
    await tokens.revoke(conn, token_id, actor="test")
    r = await deps[A].get(URL)
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]
