"""Signed 告知承诺 for departments' own systems, /api/v1/commitments: look one up by its
reference and record the later check (属实 / 不实), as the department the commitment names, by
its Bearer token (policy department_api). Another department's commitment answers 404, like one
that does not exist; a check that lost a race (or a stale `expected`) answers 409."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Router, get, post
from litestar.params import FromPath, JSONBody

from registry.accounts import auth
from registry.commitments import checks
from registry.commitments.models import Signed
from registry.commitments.queries import signed as sq
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.web.department_api import ROUTER_OPT, SECURITY, actor, errors
from registry.web.errors import InvalidInput, NotFound
from registry.web.state import worker
from registry.workflow import engine

Req = Request[Any, Any, Any]
NOT_HERE = N_("没有这份承诺，或不是在本部门签署的")


class CheckIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """result: true (属实) | untrue (不实, with a note saying what was found)."""

    result: str = ""
    note: str = ""
    expected: str | None = None  # the status the client saw (signed); another one is 409


async def _found(request: Req, reference: str) -> Signed:
    async with worker(request).pool.acquire() as conn:
        found = await sq.get(conn, reference[:40], actor(request).scope)
    if found is None:
        raise NotFound(NOT_HERE)
    return found


@get(
    "/{reference:str}",
    name="api.commitment.get",
    summary=N_("一份告知承诺（在本部门签署的）"),
    responses=errors(400, 404, 503),
)
async def one(request: Req, reference: FromPath[str]) -> Signed:
    return await _found(request, reference)


@post(
    "/{reference:str}/check",
    name="api.commitment.check",
    status_code=200,
    summary=N_("记录告知承诺的事后核查结果"),
    description="result：true（属实）| untrue（不实，note 写明核查情况）。只能记录一次"
    "（更正由监督部门在工作台办理）；expected 为客户端所见的状态（signed），已被核查则返回 409。",
    responses=errors(400, 404, 409, 422, 503),
)
async def check(request: Req, reference: FromPath[str], data: JSONBody[CheckIn]) -> Signed:
    found = await _found(request, reference)
    who = actor(request)
    form = {"result": data.result, "note": data.note}
    try:
        async with worker(request).pool.acquire() as conn:
            await engine.apply(
                conn, checks.Commitments(who.name), found.id, "check", who,
                expected=data.expected or found.status, form=form,
            )  # fmt: skip
    except checks.Stale:
        now = FieldError("expected", f"当前状态：{found.status}")
        raise InvalidInput([now], status=409) from None
    except checks.Invalid as bad:
        raise InvalidInput(list(bad.errors), status=422) from None
    return await _found(request, reference)


router = Router(
    path="/api/v1/commitments",
    guards=[auth.policy_guard],
    opt=ROUTER_OPT,
    route_handlers=[one, check],
    tags=["v1 departments"],
    security=SECURITY,
)
