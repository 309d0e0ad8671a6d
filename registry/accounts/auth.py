"""Staff login, server-side sessions, and the one guard every route passes (deny by default)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    ImproperlyConfiguredException,
    NotAuthorizedException,
    PermissionDeniedException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.csrf import generate_csrf_hash
from litestar.utils.scope.state import ScopeState

from registry.accounts import tokens
from registry.accounts.models import Role, StaffUser
from registry.accounts.queries import users as q
from registry.infra import audit
from registry.infra.i18n import N_
from registry.infra.worker import base_of

COOKIE = "staff_session"
IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 8 * 3600
# Back-off per (name, address): after MAX_FAILURES failures each further one makes the pair
# wait, doubling from FIRST_DELAY up to MAX_DELAY; a pair idle for RESET_AFTER starts afresh.
MAX_FAILURES = 5
FIRST_DELAY = 60
MAX_DELAY = 3600
RESET_AFTER = 24 * 3600
# The account-wide ceiling: past ACCOUNT_LIMIT failures in ACCOUNT_WINDOW (from any address),
# an address that never logged in to the account gets one try per ACCOUNT_SPACING seconds.
# Addresses with a success in the last KNOWN_DAYS are not slowed (docs/access.md).
ACCOUNT_LIMIT = 30
ACCOUNT_WINDOW = 3600
ACCOUNT_SPACING = 10
KNOWN_DAYS = 90
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# Route policies: which roles may use a route. Every route names one (see docs/access.md).
POLICIES: dict[str, frozenset[Role]] = {
    "public": frozenset(),
    "staff": frozenset(Role),
    "complaints": frozenset({Role.SUPERVISOR, Role.DEPARTMENT}),
    # 部门核查 requests and signed 告知承诺 (issue 15): the route admits the office and the
    # departments; each handler then admits only the departments the record names.
    "casework": frozenset({Role.SUPERVISOR, Role.DEPARTMENT}),
    "supervisor": frozenset({Role.SUPERVISOR}),
    "audit": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "admin": frozenset({Role.ADMIN}),
    # Departments' own systems on /api/v1 (issue 15): a Bearer token of the department
    # (registry/accounts/tokens.py), never a session; the same per-record rules as the pages.
    "department_api": frozenset({Role.DEPARTMENT}),
}

_hasher = PasswordHasher()
# Verified against when the user does not exist, so both failures take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LoginResult:
    user_id: int | None = None
    # Seconds to wait: the attempt was refused before any password check.
    wait: int = 0
    # Why it waits: "address" (this pair's back-off) or "account" (the account-wide ceiling).
    waits_for: str = ""


def delay_after(failures: int) -> int:
    """Seconds a (name, address) pair waits after its failures-th failure."""
    if failures < MAX_FAILURES:
        return 0
    return int(min(MAX_DELAY, FIRST_DELAY * 2 ** min(failures - MAX_FAILURES, 20)))


async def attempt_login(
    conn: asyncpg.Connection, username: str, password: str, address: str
) -> LoginResult:
    """One login attempt. Unknown names, wrong passwords and inactive or admin-locked
    accounts look alike and run the same statements; every failure and delay is audited."""
    async with conn.transaction():
        pair = await q.lock_pair(conn, username, address, RESET_AFTER, KNOWN_DAYS)
        if pair["wait"]:
            return LoginResult(wait=pair["wait"], waits_for="address")
        if not pair["known"]:
            wait = await q.claim_account_slot(
                conn, username, ACCOUNT_WINDOW, ACCOUNT_LIMIT, ACCOUNT_SPACING
            )
            if wait:
                return LoginResult(wait=wait, waits_for="account")
        failures = 1 if pair["stale"] else pair["failures"] + 1
        delay = delay_after(failures)
        # Counted before the (slow) password check, so parallel tries cannot slip past it.
        await q.count_attempt(conn, username, address, failures, delay)
    row = await q.get_login(conn, username)
    # Off the event loop: argon2 takes tens of milliseconds by design.
    ok = await asyncio.to_thread(_verify, row["password_hash"] if row else _DUMMY_HASH, password)
    if row is not None and ok and row["active"] and not row["locked"]:
        await q.record_success(conn, row["id"], username, address)
        return LoginResult(user_id=int(row["id"]))
    async with conn.transaction():
        account_failures = await q.record_failure(conn, username, ACCOUNT_WINDOW)
        await _audit_failure(conn, row is not None, username, address, failures, delay)
        if account_failures == ACCOUNT_LIMIT:
            await audit.record(
                conn,
                actor="public",
                action="staff.login_slowed",
                entity="user",
                entity_id=username if row is not None else "",
                after={"failures": account_failures, "window_seconds": ACCOUNT_WINDOW},
            )
    return LoginResult()


async def _audit_failure(
    conn: asyncpg.Connection, exists: bool, username: str, address: str, failures: int, delay: int
) -> None:
    """Never the password; a name that is no account is not written either (it may be a
    password typed into the wrong field)."""
    after: dict[str, Any] = {"address": address, "failures": failures}
    if not exists:
        after["unknown_user"] = True
    entity_id = username if exists else ""
    await audit.record(
        conn,
        actor="public",
        action="staff.login_failed",
        entity="user",
        entity_id=entity_id,
        after=after,
    )
    if delay:
        await audit.record(
            conn,
            actor="public",
            action="staff.login_locked",
            entity="user",
            entity_id=entity_id,
            after={**after, "seconds": delay},
        )


async def start_session(conn: asyncpg.Connection, user_id: int, old_token: str | None) -> str:
    """Always a fresh session id at login: a planted cookie never becomes a login."""
    if old_token:
        await q.delete_session(conn, session_hash(old_token))
    token = secrets.token_urlsafe(32)
    await q.insert_session(conn, session_hash(token), user_id)
    return token


def session_csrf_token(secret: str, session_token: str) -> str:
    """The one CSRF token of a staff session: in Litestar's format (so its double-submit check
    still passes), its random half derived from the session id, so a token minted anywhere
    else (an attacker's own, another session's) never matches."""
    derived = hmac.new(
        secret.encode(), b"staff-session-csrf:" + session_token.encode(), hashlib.sha256
    ).hexdigest()
    return derived + generate_csrf_hash(derived, secret)


def csrf_token_for(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """This request's session-bound CSRF token, or None without a session cookie."""
    config = connection.app.csrf_config
    token = connection.cookies.get(COOKIE)
    if config is None or not token:
        return None
    return session_csrf_token(config.secret, token)


def _csrf_bound(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Litestar's middleware already matched the submitted token to the cookie; here it must
    also be this session's token."""
    submitted = ScopeState.from_scope(connection.scope).csrf_token
    expected = csrf_token_for(connection)
    return (
        isinstance(submitted, str)
        and expected is not None
        and hmac.compare_digest(submitted, expected)
    )


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
        async with base_of(connection.app).pool.acquire() as conn:
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
        raise PermissionDeniedException(N_("此路由没有访问策略"))
    roles = POLICIES[policy]
    if not roles:
        return
    if policy == "department_api":  # a token, no cookie: nothing here for CSRF to forge
        await tokens.authenticate(connection)
        return
    user = await current_user(connection)
    if user is None:
        raise NotAuthorizedException(N_("请先登录"))
    if user.role not in roles:
        raise PermissionDeniedException(N_("没有权限访问"))
    if (
        isinstance(connection, Request)
        and connection.method not in SAFE_METHODS
        and not _csrf_bound(connection)
    ):
        raise PermissionDeniedException("CSRF token verification failed")
