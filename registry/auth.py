"""Staff login, server-side sessions, and the one guard every route passes (deny by default)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    ImproperlyConfiguredException,
    NotAuthorizedException,
    PermissionDeniedException,
)
from litestar.handlers.base import BaseRouteHandler

from registry.models import Role, StaffUser
from registry.queries import users as q

COOKIE = "staff_session"
IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 8 * 3600
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60

# Route policies: which roles may use a route. Every route names one (see docs/access.md).
POLICIES: dict[str, frozenset[Role]] = {
    "public": frozenset(),
    "staff": frozenset(Role),
    "complaints": frozenset({Role.SUPERVISOR, Role.DEPARTMENT}),
    "supervisor": frozenset({Role.SUPERVISOR}),
    "audit": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "admin": frozenset({Role.ADMIN}),
}

_hasher = PasswordHasher()
# Verified against when the user does not exist, so both failures take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def authenticate(conn: asyncpg.Connection, username: str, password: str) -> int | None:
    """The user id, or None: unknown user, wrong password, locked and inactive look alike."""
    row = await q.get_login(conn, username)
    ok: bool
    try:
        ok = _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if row is None:
        return None
    if row["locked"] or not row["active"]:
        return None
    if not ok:
        failures = row["failed_logins"] + 1
        lock = (
            LOCK_SECONDS * 2 ** max(0, failures - MAX_FAILURES) if failures >= MAX_FAILURES else 0
        )
        await q.record_failure(conn, row["id"], min(lock, 24 * 3600))
        return None
    await q.record_success(conn, row["id"])
    return int(row["id"])


async def start_session(conn: asyncpg.Connection, user_id: int, old_token: str | None) -> str:
    """Always a fresh session id at login: a planted cookie never becomes a login."""
    if old_token:
        await q.delete_session(conn, session_hash(old_token))
    token = secrets.token_urlsafe(32)
    await q.insert_session(conn, session_hash(token), user_id)
    return token


async def end_session(conn: asyncpg.Connection, token: str | None) -> None:
    if token:
        await q.delete_session(conn, session_hash(token))


async def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> StaffUser | None:
    """The logged-in staff user for this request, looked up once and kept on the scope."""
    state = connection.scope.setdefault("state", {})
    if "staff_user" in state:
        user: StaffUser | None = state["staff_user"]
        return user
    token = connection.cookies.get(COOKIE)
    user = None
    if token and len(token) < 100:
        async with connection.app.state.pool.acquire() as conn:
            user = await q.session_user(conn, session_hash(token), IDLE_SECONDS, ABSOLUTE_SECONDS)
    state["staff_user"] = user
    return user


def check_policies(app: Litestar) -> None:
    """Deny by default, checked when the app is built: every route names a policy, and every
    route whose policy is not public runs policy_guard. Public routes skip the guard (Litestar
    copies the handler for every guard call, a cost on the hottest paths)."""
    for route in app.routes:
        for method, (handler, _) in getattr(route, "route_handler_map", {}).items():
            if method == "OPTIONS":  # Litestar's own answer: the allowed methods, no data
                continue
            policy = handler.opt.get("policy")
            if policy not in POLICIES:
                raise ImproperlyConfiguredException(f"{route.path}: no access policy")
            if POLICIES[policy] and policy_guard not in handler.resolve_guards():
                raise ImproperlyConfiguredException(f"{route.path}: policy {policy} unguarded")


async def policy_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Deny by default: a route without a policy is refused to everyone."""
    policy = handler.opt.get("policy")
    if policy not in POLICIES:
        raise PermissionDeniedException("此路由没有访问策略")
    roles = POLICIES[policy]
    if not roles:
        return
    user = await current_user(connection)
    if user is None:
        raise NotAuthorizedException("请先登录")
    if user.role not in roles:
        raise PermissionDeniedException("没有权限访问")
