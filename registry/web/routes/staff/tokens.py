"""The admin's API tokens for departments' own systems: issue (the token shown once, on the
answer to the form, never stored in clear) and revoke; both audited (accounts/tokens.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect

from registry.accounts import auth, tokens
from registry.accounts.queries import tokens as q
from registry.catalogue.queries import departments as dq
from registry.infra.errorshape import FieldError
from registry.web import inputguard
from registry.web.language import speaks
from registry.web.staffpages import page, user_of
from registry.web.state import worker
from registry.web.urls import url_for

Req = Request[Any, Any, Any]


async def _index(
    request: Req, *, status: int = 200, errors: list[FieldError] | None = None, **extra: Any
) -> Response[bytes]:
    async with worker(request).pool.acquire() as conn:
        listed = await q.listing(conn)
        departments = await dq.list_departments(conn)
    tr = speaks(request).gettext
    field_errors: dict[str, list[str]] = {}
    for e in errors or []:
        field_errors.setdefault(e.field, []).append(tr(e.message))
    return page(
        request,
        "staff/tokens/index.html",
        status=status,
        tokens=listed,
        departments=departments,
        field_errors=field_errors,
        values=extra.pop("values", {}),
        **extra,
    )


@get("/tokens", name="office.tokens", opt={"policy": "admin"})
async def token_list(request: Req) -> Response[bytes]:
    return await _index(request)


@post("/tokens", name="office.token_issue", opt={"policy": "admin", inputguard.RESHOWS_FORM: True})
async def token_issue(request: Req, data: URLEncodedBody[dict[str, Any]]) -> Response[bytes]:
    """The answer shows the token this once (no-store); the list never does."""
    values = {k: str(data.get(k, "")).strip() for k in ("department", "label")}
    async with worker(request).pool.acquire() as conn:
        errors = inputguard.refused(request) + await tokens.check_new(
            conn, values["department"], values["label"]
        )
    if errors:
        return await _index(request, status=422, errors=errors, values=values)
    async with worker(request).pool.acquire() as conn:
        token_id, token = await tokens.issue(
            conn, department=values["department"], label=values["label"],
            actor=user_of(request).username,
        )  # fmt: skip
        department = await dq.get_department(conn, values["department"])
    return page(
        request,
        "staff/tokens/issued.html",
        status=201,
        token=token,
        token_id=token_id,
        label=values["label"],
        department=department,
    )


@post("/tokens/{token_id:int}/revoke", name="office.token_revoke", opt={"policy": "admin"})
async def token_revoke(request: Req, token_id: FromPath[int]) -> Response[Any]:
    async with worker(request).pool.acquire() as conn:
        found = await tokens.revoke(conn, token_id, actor=user_of(request).username)
    msg = "saved" if found is not None else "unknown"
    return Redirect(url_for(request, "office.tokens", {"msg": msg}), status_code=303)


router = Router(
    guards=[auth.policy_guard],
    include_in_schema=False,
    path="/staff",
    route_handlers=[token_list, token_issue, token_revoke],
)
