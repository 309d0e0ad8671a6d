"""Login back-off per (account, address): an outsider cannot lock a staff member out, and every
failed login and delay is audited."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
from argon2 import PasswordHasher

from registry.accounts import auth
from registry.infra import ratelimit
from tests.staff_helpers import PASSWORD, login, make_user
from tests.twoconn import committed_db_fixture  # noqa: F401  (the fixture)

WRONG = "not the password!"
A, B, C = "203.0.113.7", "198.51.100.20", "192.0.2.55"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """Dozens of logins per test: a light argon2 (for known and unknown names alike)."""
    light = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", light)
    monkeypatch.setattr(auth, "_DUMMY_HASH", light.hash("dummy"))


@pytest.fixture
async def at(app):
    """Clients by address; each has its own cookie jar."""
    made: list[httpx.AsyncClient] = []

    def client(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        c = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        made.append(c)
        return c

    yield client
    for c in made:
        await c.aclose()


def without_token(page: str, username: str) -> str:
    page = re.sub(r'name="_csrf_token" value="[^"]*"', "", page)
    return page.replace(f'value="{username}"', "")


async def fail(client: httpx.AsyncClient, username: str, times: int) -> list[int]:
    return [(await login(client, username, WRONG)).status_code for _ in range(times)]


async def pass_delay(conn, username: str, address: str) -> None:
    """Time passes for one pair (the test's transaction has one now())."""
    await conn.execute(
        "UPDATE login_throttle SET delayed_until = now() - interval '1 second'"
        " WHERE username = $1 AND address = $2",
        username,
        address,
    )


async def test_six_failures_from_one_address_do_not_lock_the_owner_out(conn, at):
    await make_user(conn, "vic", "supervisor")
    codes = await fail(at(A), "vic", 6)
    assert set(codes) <= {401, 429}
    r = await login(at(B), "vic")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/staff/"
    assert codes == [401] * auth.MAX_FAILURES + [429]  # the sixth was not even checked


async def test_the_failing_address_waits_with_retry_after_then_gets_in(conn, at):
    await make_user(conn, "vic", "supervisor")
    a = at(A)
    await fail(a, "vic", auth.MAX_FAILURES)
    r = await login(a, "vic")  # the right password, but this pair must wait
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= auth.FIRST_DELAY
    assert "失败次数过多" in r.text and "秒后再试" in r.text
    assert auth.COOKIE not in r.cookies
    await pass_delay(conn, "vic", A)
    r = await login(a, "vic")
    assert r.status_code == 303
    # The success cleared this pair: its count starts again.
    assert (
        await conn.fetchval(
            "SELECT failures FROM login_throttle WHERE username = 'vic' AND address = $1", A
        )
        == 0
    )


async def test_delays_double_and_are_capped():
    delays = [auth.delay_after(n) for n in range(1, 14)]
    assert delays[: auth.MAX_FAILURES - 1] == [0] * (auth.MAX_FAILURES - 1)
    assert delays[auth.MAX_FAILURES - 1 : auth.MAX_FAILURES + 2] == [60, 120, 240]
    assert max(delays) == auth.MAX_DELAY and auth.delay_after(10_000) == auth.MAX_DELAY


async def test_failed_logins_and_delays_are_audited_without_the_password(conn, at):
    await make_user(conn, "vic", "supervisor")
    await fail(at(A), "vic", 6)
    rows = await conn.fetch(
        "SELECT actor, action, entity_id, after FROM audit_log"
        " WHERE action LIKE 'staff.login%' ORDER BY id"
    )
    actions = [r["action"] for r in rows]
    assert actions == ["staff.login_failed"] * 5 + ["staff.login_locked"]
    assert {r["entity_id"] for r in rows} == {"vic"}
    assert [r["after"]["failures"] for r in rows] == [1, 2, 3, 4, 5, 5]
    assert all(r["after"]["address"] == A for r in rows)
    assert rows[-1]["after"]["seconds"] == auth.FIRST_DELAY
    everything = json.dumps([dict(r) for r in rows], default=str, ensure_ascii=False)
    assert WRONG not in everything and PASSWORD not in everything


async def test_an_unknown_name_gets_the_same_answers_and_is_not_written_down(conn, at):
    await make_user(conn, "vic", "supervisor")
    real, ghost = at(A), at(B)
    for _ in range(auth.MAX_FAILURES + 1):
        r1 = await login(real, "vic", WRONG)
        r2 = await login(ghost, "ghost", WRONG)
        assert r1.status_code == r2.status_code
        assert r1.headers.get("retry-after") == r2.headers.get("retry-after")
        assert without_token(r1.text, "vic") == without_token(r2.text, "ghost")
    rows = await conn.fetch(
        "SELECT action, entity_id, after FROM audit_log WHERE after->>'address' = $1", B
    )
    assert len(rows) == auth.MAX_FAILURES + 1
    assert all(r["entity_id"] == "" and r["after"]["unknown_user"] for r in rows)
    assert "ghost" not in json.dumps([dict(r) for r in rows], default=str)


async def test_one_address_cannot_lock_several_accounts(conn, at):
    names = ["v1", "v2", "v3"]
    for name in names:
        await make_user(conn, name, "supervisor")
    attacker = at(A)
    for name in names:
        await fail(attacker, name, auth.MAX_FAILURES + 1)
    for name in names:
        assert (await login(at(B), name)).status_code == 303, name
    # The attacker's own pairs stay delayed.
    r = await login(attacker, "v1")
    assert r.status_code == 429


async def test_the_admins_unlock_lifts_every_delay_of_the_account(conn, at):
    await make_user(conn, "vic", "supervisor")
    await make_user(conn, "adm", "admin")
    await fail(at(A), "vic", auth.MAX_FAILURES)
    assert await conn.fetchval("SELECT failed_logins FROM users WHERE username = 'vic'") == 5
    admin = at(C)
    assert (await login(admin, "adm")).status_code == 303
    users_page = await admin.get("/staff/users")
    assert "解锁" in users_page.text
    uid = await conn.fetchval("SELECT id FROM users WHERE username = 'vic'")
    token = admin.cookies["csrftoken"]
    r = await admin.post(f"/staff/users/{uid}/unlock", data={"_csrf_token": token})
    assert r.status_code == 303
    assert (await login(at(A), "vic")).status_code == 303


async def test_a_success_does_not_free_the_attackers_address(conn, at):
    await make_user(conn, "vic", "supervisor")
    await fail(at(A), "vic", auth.MAX_FAILURES)
    assert (await login(at(B), "vic")).status_code == 303
    assert (await login(at(A), "vic", WRONG)).status_code == 429


async def test_account_ceiling_slows_unknown_addresses_only(conn, at, monkeypatch):
    monkeypatch.setattr(auth, "ACCOUNT_LIMIT", 3)
    await make_user(conn, "vic", "supervisor")
    assert (await login(at(B), "vic")).status_code == 303  # B is now a known address
    for i in range(3):  # guessing from many addresses, each under its own back-off
        assert (await login(at(f"10.0.0.{i}"), "vic", WRONG)).status_code == 401
    slowed = await conn.fetch("SELECT entity_id FROM audit_log WHERE action='staff.login_slowed'")
    assert [r["entity_id"] for r in slowed] == ["vic"]
    # Past the ceiling, one new address gets the next slot; the one after waits seconds.
    assert (await login(at("10.0.0.50"), "vic", WRONG)).status_code == 401
    r = await login(at("10.0.0.51"), "vic")
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= auth.ACCOUNT_SPACING
    assert "登录已放慢" in r.text
    # The owner at an address that logged in before is not slowed at all.
    assert (await login(at(B), "vic")).status_code == 303


async def test_the_per_address_rate_limit_still_holds(conn, at):
    for _ in range(20):  # twenty tries from A in this window, whatever the names
        assert await ratelimit.hit(conn, f"login:{A}", 20, 600) is None
    r = await login(at(A), "anyone", WRONG)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "过于频繁" in r.text
    assert (await login(at(B), "anyone", WRONG)).status_code == 401


async def test_parallel_tries_from_one_address_cannot_slip_past_the_fifth(committed_db):
    """Three wrong passwords at once after four failures: the pair's row lock lines them up,
    so one is checked (the fifth failure) and the two others already wait."""
    setup, locker, *contenders = await committed_db.connect(5)
    await make_user(setup, "vic", "supervisor")
    await setup.execute(
        "INSERT INTO login_throttle (username, address, failures, last_failed_at)"
        " VALUES ('vic', $1, 4, now())",
        A,
    )
    tr = locker.transaction()
    await tr.start()
    await locker.execute("SELECT 1 FROM login_throttle WHERE username = 'vic' FOR UPDATE")
    tries = [asyncio.ensure_future(auth.attempt_login(c, "vic", WRONG, A)) for c in contenders]
    try:
        await committed_db.wait_for_lock_waiters(len(tries))
    finally:
        await tr.rollback()
    results = await asyncio.gather(*tries)
    assert sorted(r.waits_for for r in results) == ["", "address", "address"]
    assert await setup.fetchval("SELECT failures FROM login_throttle WHERE username = 'vic'") == 5
