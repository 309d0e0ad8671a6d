"""The 协查 API for departments' own systems, /api/v1/verifications: the same use cases as the
staff pages (registry/verification/service.py), authenticated by a department's Bearer token
(policy department_api). Another pair's request answers 404, exactly like one that does not
exist; a step that lost a race (or a stale `expected`) answers 409."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import MediaType, Request, Response, Router, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from registry.accounts import auth
from registry.complaints import cases
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.verification import service
from registry.verification.models import PAGE_SIZE, VerificationRequest
from registry.verification.queries import requests as rq
from registry.web.department_api import ROUTER_OPT, SECURITY, actor, errors
from registry.web.errors import InvalidInput, NotFound
from registry.web.state import worker

Req = Request[Any, Any, Any]
KEY_MESSAGE = "请求头 Idempotency-Key 必填：16–200 个可见 ASCII 字符，每份协查一个随机值（如 UUID）"
NOT_HERE = N_("没有这件协查，或不是本部门的")


class VerificationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new request to another department about one abolished item's fact."""

    code: str = msgspec.field(default="")  # the abolished item (its code on the list)
    to_department: str = ""  # the department that used to issue the certificate
    matter: str = ""  # 办理事项
    case_ref: str = ""  # the requesting department's own case number
    question: str = ""  # what must be confirmed
    applicant: str = ""  # only as far as needed; masked in every list


class StepIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """expected: the status the client last saw (compare-and-set: another one is 409);
    omitted, the step applies to whatever the status is now."""

    expected: str | None = None


class AnswerIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    result: str = ""  # confirmed | not_confirmed | no_record | not_ours
    note: str = ""
    expected: str | None = None


class VerificationList(msgspec.Struct, kw_only=True):
    items: list[VerificationRequest]  # applicants masked
    page: int
    per_page: int


def _invalid(bad: service.Invalid) -> InvalidInput:
    return InvalidInput(list(bad.errors), status=422)


@post(
    "/",
    name="api.verification.create",
    status_code=201,
    summary=N_("发起部门核查（协查）"),
    description="以令牌所属部门的名义，向原出具证明的部门发起协查。需要请求头 Idempotency-Key"
    "（16–200 个可见 ASCII 字符）：重试时带同一个键和同样的内容，只会生成一件协查并返回同一件"
    "（响应头 idempotent-replayed: true）；同一个键配不同的内容返回 422。",
    responses={201: ResponseSpec(data_container=VerificationRequest, description="协查")}
    | errors(400, 413, 422, 503),
)
async def create(
    request: Req,
    data: JSONBody[VerificationIn],
    idempotency_key: Annotated[
        str | None,
        HeaderParameter(name="Idempotency-Key", description=N_("每份协查一个随机值（如 UUID）")),
    ] = None,
) -> Response[bytes]:
    key = (idempotency_key or "").strip()
    if not cases.KEY_RE.match(key):
        raise InvalidInput([FieldError("Idempotency-Key", KEY_MESSAGE)])
    who = actor(request)
    form = msgspec.structs.asdict(data)
    async with worker(request).pool.acquire() as conn:
        replayed = await rq.by_key(conn, who.scope or "", key) is not None
        try:
            made = await service.open_request(conn, who, form, idempotency_key=key)
        except service.Invalid as bad:
            raise _invalid(bad) from None
    headers = {"idempotent-replayed": "true"} if replayed else {}
    return Response(
        msgspec.json.encode(made), status_code=201, media_type=MediaType.JSON, headers=headers
    )


@get(
    "/",
    name="api.verification.list",
    summary=N_("本部门的协查：收到的或发出的"),
    responses=errors(400, 503),
)
async def listing(
    request: Req,
    box: Annotated[str, QueryParameter(description="incoming | outgoing")] = "incoming",
    status: Annotated[
        str | None, QueryParameter(description="pending | received | answered | overdue")
    ] = None,
    page: Annotated[int, QueryParameter(description=N_("页码，从 1 开始"), ge=1)] = 1,
) -> VerificationList:
    if box not in ("incoming", "outgoing"):
        raise InvalidInput([FieldError("box", "incoming | outgoing")])
    async with worker(request).pool.acquire() as conn:
        try:
            items = await service.listing(conn, actor(request), box=box, status=status, page=page)
        except service.Invalid as bad:
            raise InvalidInput(list(bad.errors)) from None
    return VerificationList(items=items, page=page, per_page=PAGE_SIZE)


async def _visible(request: Req, reference: str) -> VerificationRequest:
    async with worker(request).pool.acquire() as conn:
        found = await service.get(conn, reference[:40], actor(request))
    if found is None:
        raise NotFound(NOT_HERE)
    return found


@get(
    "/{reference:str}",
    name="api.verification.get",
    summary=N_("一件协查（本部门发出或收到的）"),
    responses=errors(400, 404, 503),
)
async def one(request: Req, reference: FromPath[str]) -> VerificationRequest:
    return await _visible(request, reference)


async def _step(request: Req, reference: str, action: str, form: dict[str, str]) -> Any:
    """One step as the token's department: 404 if not its pair's, 409 on a lost race."""
    found = await _visible(request, reference)
    expected = form.pop("expected", None) or found.status
    try:
        async with worker(request).pool.acquire() as conn:
            await service.act(
                conn, found.reference, action, actor(request), expected=expected, form=form
            )
    except service.Stale:
        now = FieldError("expected", f"当前状态：{found.status}")
        raise InvalidInput([now], status=409) from None
    except service.Invalid as bad:
        raise _invalid(bad) from None
    return await _visible(request, reference)


@post(
    "/{reference:str}/receive",
    name="api.verification.receive",
    status_code=200,
    summary=N_("接收协查（被核查部门）"),
    responses=errors(400, 404, 409, 422, 503),
)
async def receive(
    request: Req, reference: FromPath[str], data: JSONBody[StepIn | None] = None
) -> VerificationRequest:
    expected = data.expected if data is not None else None
    result: VerificationRequest = await _step(
        request, reference, "receive", {"expected": expected or ""}
    )
    return result


@post(
    "/{reference:str}/answer",
    name="api.verification.answer",
    status_code=200,
    summary=N_("答复协查（被核查部门）"),
    description="result：confirmed（属实）| not_confirmed（不属实）| no_record（无记录）| "
    "not_ours（非本单位职责）。expected 为客户端所见的状态（received 或 overdue）；"
    "别人已先改变了状态则返回 409。",
    responses=errors(400, 404, 409, 422, 503),
)
async def answer(
    request: Req, reference: FromPath[str], data: JSONBody[AnswerIn]
) -> VerificationRequest:
    form = {"result": data.result, "note": data.note, "expected": data.expected or ""}
    result: VerificationRequest = await _step(request, reference, "answer", form)
    return result


router = Router(
    path="/api/v1/verifications",
    guards=[auth.policy_guard],
    opt=ROUTER_OPT,
    route_handlers=[create, listing, one, receive, answer],
    tags=["v1 departments"],
    security=SECURITY,
)
