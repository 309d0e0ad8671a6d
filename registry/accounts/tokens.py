"""API tokens for departments' own systems: issued and revoked by the admin (audited), shown
once, stored as sha256 only; `Authorization: Bearer <token>` acts as the token's department."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import asyncpg
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException

from registry.accounts.models import DepartmentToken
from registry.accounts.queries import tokens as q
from registry.infra import audit
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.infra.worker import base_of

MAX_LABEL = 100
STATE_KEY = "department_token"
# What a token looks like (secrets.token_urlsafe(32)): anything else is refused unlooked-up.
TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
CHALLENGE = 'Bearer realm="registry"'


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def check_new(conn: asyncpg.Connection, department: str, label: str) -> list[FieldError]:
    errors = []
    if not department or not await conn.fetchval(
        "SELECT true FROM departments WHERE code = $1", department
    ):
        errors.append(FieldError("department", N_("请选择部门")))
    if not label:
        errors.append(FieldError("label", N_("请填写用途说明（如对接的系统名称）")))
    elif len(label) > MAX_LABEL:
        errors.append(FieldError("label", N_("用途说明最多 100 个字")))
    return errors


async def issue(
    conn: asyncpg.Connection, *, department: str, label: str, actor: str
) -> tuple[int, str]:
    """A new token for the department: (its id, the token itself, to be shown once). The
    audit row names the department and label, never the token or its hash."""
    token = secrets.token_urlsafe(32)
    async with conn.transaction():
        token_id = await q.insert_token(
            conn, department=department, label=label, token_hash=token_hash(token), created_by=actor
        )
        await audit.record(
            conn,
            actor=actor,
            action="token.issue",
            entity="department_token",
            entity_id=str(token_id),
            after={"department": department, "label": label},
        )
    return token_id, token


async def revoke(conn: asyncpg.Connection, token_id: int, *, actor: str) -> DepartmentToken | None:
    """Revoke at once (the next request with it is refused); None if not active."""
    async with conn.transaction():
        found = await q.revoke(conn, token_id)
        if found is not None:
            await audit.record(
                conn,
                actor=actor,
                action="token.revoke",
                entity="department_token",
                entity_id=str(token_id),
                before={"department": found.department, "label": found.label},
            )
    return found


def _refused(message: str, invalid: bool) -> NotAuthorizedException:
    challenge = CHALLENGE + (', error="invalid_token"' if invalid else "")
    return NotAuthorizedException(message, headers={"WWW-Authenticate": challenge})


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> DepartmentToken:
    """The department a request's Bearer token acts for, kept on the scope; else 401.
    Session cookies count for nothing here."""
    state = connection.scope.setdefault("state", {})
    known: DepartmentToken | None = state.get(STATE_KEY)
    if known is not None:
        return known
    scheme, _, token = connection.headers.get("authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _refused(N_("需要部门接口令牌（Authorization: Bearer …）"), invalid=False)
    found = None
    if len(token) <= 100 and set(token) <= TOKEN_CHARS:
        async with base_of(connection.app).pool.acquire() as conn:
            found = await q.active_by_hash(conn, token_hash(token))
    if found is None:
        raise _refused(N_("接口令牌无效或已撤销"), invalid=True)
    state[STATE_KEY] = found
    return found


def token_of(connection: ASGIConnection[Any, Any, Any, Any]) -> DepartmentToken:
    found: DepartmentToken | None = connection.scope.get("state", {}).get(STATE_KEY)
    assert found is not None, "policy_guard runs first"
    return found
