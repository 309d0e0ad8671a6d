"""Departments' API tokens: the admin issues one (shown once), the CLI too; only its sha256 is
kept; revoking is immediate; every issue and revoke is audited, never with the token."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re

import asyncpg
import httpx
import pytest

from registry.accounts import tokens
from tests.staff_helpers import DEPT_A, csrf, login, make_user


@pytest.fixture
async def admin(app, conn):  # type: ignore[no-untyped-def]
    await make_user(conn, "adm", "admin")
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    assert (await login(c, "adm")).status_code == 303
    yield c
    await c.aclose()


async def issue(admin: httpx.AsyncClient, label: str = "窗口受理系统") -> str:
    r = await admin.post(
        "/staff/tokens",
        data={"_csrf_token": await csrf(admin), "department": DEPT_A, "label": label},
    )
    assert r.status_code == 201, r.text[:300]
    assert r.headers["cache-control"] == "no-store"
    return re.search(r'id="token"[^>]* value="([A-Za-z0-9_-]{43})"', r.text).group(1)


async def test_issue_shows_the_token_once_and_stores_only_its_hash(admin, conn, caplog):
    caplog.set_level(logging.DEBUG)
    token = await issue(admin)
    row = await conn.fetchrow("SELECT * FROM department_tokens ORDER BY id DESC LIMIT 1")
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert (row["department"], row["label"], row["created_by"]) == (DEPT_A, "窗口受理系统", "adm")
    assert row["revoked_at"] is None
    # Never again: not on the list, not in the audit log, not in the database, not in the logs.
    listing = (await admin.get("/staff/tokens")).text
    assert "窗口受理系统" in listing and token not in listing
    assert token not in (await admin.get("/staff/audit")).text
    dump = await conn.fetchval("SELECT string_agg(t::text, ' ') FROM department_tokens t")
    audit = await conn.fetchval("SELECT string_agg(a::text, ' ') FROM audit_log a")
    assert token not in dump and token not in audit
    assert token not in caplog.text
    entry = await conn.fetchrow(
        "SELECT actor, entity_id, after FROM audit_log WHERE action = 'token.issue' "
        "ORDER BY id DESC LIMIT 1"
    )
    assert entry["actor"] == "adm" and entry["entity_id"] == str(row["id"])
    assert entry["after"] == {"department": DEPT_A, "label": "窗口受理系统"}


async def test_revoke_is_audited_and_shown(admin, conn):
    await issue(admin)
    token_id = await conn.fetchval("SELECT max(id) FROM department_tokens")
    r = await admin.post(
        f"/staff/tokens/{token_id}/revoke", data={"_csrf_token": await csrf(admin)}
    )
    assert (r.status_code, r.headers["location"]) == (303, "/staff/tokens?msg=saved")
    assert await conn.fetchval(
        "SELECT revoked_at IS NOT NULL FROM department_tokens WHERE id = $1", token_id
    )
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'token.revoke' AND entity_id = $1",
            str(token_id),
        )
        == 1
    )
    assert "已撤销" in (await admin.get("/staff/tokens")).text
    # Twice is nothing to do, and says so.
    r = await admin.post(
        f"/staff/tokens/{token_id}/revoke", data={"_csrf_token": await csrf(admin)}
    )
    assert r.headers["location"] == "/staff/tokens?msg=unknown"


async def test_the_form_comes_back_with_every_error_and_the_input_kept(admin, conn):
    before = await conn.fetchval("SELECT count(*) FROM department_tokens")
    r = await admin.post(
        "/staff/tokens",
        data={"_csrf_token": await csrf(admin), "department": "NOPE", "label": "x" * 101},
    )
    assert r.status_code == 422
    assert "请选择部门" in r.text and "用途说明最多 100 个字" in r.text
    assert "x" * 101 in r.text
    assert await conn.fetchval("SELECT count(*) FROM department_tokens") == before


async def test_issue_needs_the_session_csrf_token(admin, conn):
    r = await admin.post("/staff/tokens", data={"department": DEPT_A, "label": "x"})
    assert r.status_code == 403
    assert await conn.fetchval("SELECT count(*) FROM department_tokens WHERE label = 'x'") == 0


@pytest.fixture
async def cli_db(scratch_database, settings):  # type: ignore[no-untyped-def]
    """A migrated database of its own (the command commits; the audit log is append-only)."""
    from registry.cli import migrate_and_seed

    async with scratch_database("tokens_cli") as dsn:
        await migrate_and_seed(dsn, settings, seed=False)
        conn = await asyncpg.connect(dsn)
        await conn.execute(
            "INSERT INTO departments (code, name, kind) VALUES ($1, '县民政局', 'county')", DEPT_A
        )
        await conn.close()
        yield dsn


def test_cli_issues_a_token_printed_once(cli_db, monkeypatch, capsys):
    from registry.cli import main

    monkeypatch.setenv("DATABASE_URL", cli_db)
    assert main(["token", "add", "--department", DEPT_A, "--label", "命令行测试"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)

    async def stored() -> tuple[str, int]:
        conn = await asyncpg.connect(cli_db)
        try:
            row = await conn.fetchrow("SELECT id, token_hash FROM department_tokens")
            audited = await conn.fetchval(
                "SELECT count(*) FROM audit_log WHERE action = 'token.issue' "
                "AND actor = 'cli' AND entity_id = $1",
                str(row["id"]),
            )
            return row["token_hash"], audited
        finally:
            await conn.close()

    token_hash, audited = asyncio.run(stored())
    assert token_hash == tokens.token_hash(token) and audited == 1
    assert main(["token", "add", "--department", "NOPE", "--label", "x"]) == 2


async def test_issued_token_works_without_csrf_until_revoked(admin, app, conn):
    """Issued on the page, used by a system (no cookie, no CSRF token), revoked on the page."""
    from tests.verification_helpers import FORM

    token = await issue(admin)
    token_id = await conn.fetchval("SELECT max(id) FROM department_tokens")
    system = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"authorization": f"Bearer {token}"},
    )
    r = await system.post("/api/v1/verifications", json=FORM, headers={"Idempotency-Key": "k" * 20})
    assert r.status_code == 201, r.text
    assert r.json()["created_by"] == f"token:{token_id}:{DEPT_A}"
    assert await conn.fetchval(
        "SELECT last_used_at IS NOT NULL FROM department_tokens WHERE id = $1", token_id
    )
    await admin.post(f"/staff/tokens/{token_id}/revoke", data={"_csrf_token": await csrf(admin)})
    r = await system.get("/api/v1/verifications")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    await system.aclose()
