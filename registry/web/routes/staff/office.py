"""The office's housekeeping pages: the audit log and staff accounts (the calendar: calendar.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from registry.accounts import auth
from registry.accounts.models import ROLE_LABELS
from registry.accounts.queries import office as q
from registry.infra import audit
from registry.web.staffpages import page, page_number, user_of
from registry.web.state import worker
from registry.web.urls import url_for

Req = Request[Any, Any, Any]
PAGE = 100


@get("/audit", name="office.audit", opt={"policy": "audit"})
async def audit_log(
    request: Req, action: FromQuery[str | None] = None, page_no: FromQuery[int] = 1
) -> Response[bytes]:
    action = (action or "").strip()[:60] or None
    page_no = page_number(page_no)
    async with worker(request).pool.acquire() as conn:
        rows, total = await q.audit_entries(
            conn, action=action, limit=PAGE, offset=(page_no - 1) * PAGE
        )
        actions = await q.audit_actions(conn)
    return page(
        request,
        "staff/office/audit.html",
        rows=rows,
        total=total,
        action=action,
        actions=actions,
        page_no=page_no,
        pages=(total + PAGE - 1) // PAGE,
    )


@get("/users", name="office.users", opt={"policy": "admin"})
async def user_list(request: Req) -> Response[bytes]:
    async with worker(request).pool.acquire() as conn:
        accounts = await q.users_with_state(conn)
    return page(request, "staff/office/users.html", accounts=accounts, roles=ROLE_LABELS)


@post("/users/{user_id:int}/{change:str}", name="office.user_change", opt={"policy": "admin"})
async def user_change(request: Req, user_id: FromPath[int], change: FromPath[str]) -> Response[Any]:
    """Deactivate, reactivate or unlock an account; new accounts come from `registry user add`."""
    if change not in ("deactivate", "activate", "unlock"):
        return Redirect(url_for(request, "office.users", {"msg": "unknown"}), status_code=303)
    admin = user_of(request)
    async with worker(request).pool.acquire() as conn, conn.transaction():
        name = await q.change_user(conn, user_id, change)
        if name is not None:
            await audit.record(
                conn, actor=admin.username, action=f"user.{change}", entity="user", entity_id=name
            )
            if change == "deactivate":
                await q.end_sessions_of(conn, user_id)
    return Redirect(url_for(request, "office.users", {"msg": "saved"}), status_code=303)


router = Router(
    guards=[auth.policy_guard],  # staff pages: each handler names its policy
    include_in_schema=False,
    path="/staff",
    route_handlers=[audit_log, user_list, user_change],
)
