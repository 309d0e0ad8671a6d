"""The JSON API, /api/v1: the same data functions as the pages, as JSON."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import MediaType, Request, Response, Router, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from registry.catalogue.models import CertificateDetail, CertificatePage, Department, Summary
from registry.catalogue.queries import certificates as q
from registry.catalogue.queries import departments as dq
from registry.checker.decide import MatterGuide, Verdict
from registry.complaints import cases
from registry.complaints.models import ComplaintIn, ComplaintPublic, Receipt
from registry.infra import clock
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.web import views
from registry.web.client import client_address, limit
from registry.web.errors import InvalidInput, NotFound, error_responses
from registry.web.filing import submit
from registry.web.rendering import render_page
from registry.web.state import worker

Req = Request[Any, Any, Any]
KEY_MESSAGE = "请求头 Idempotency-Key 必填：16–200 个可见 ASCII 字符，每份投诉一个随机值（如 UUID）"


@get(
    "/summary",
    name="api.summary",
    summary=N_("清理结果汇总（按数据计算）"),
    responses=error_responses(400, 503),
)
async def summary(
    request: Req,
    on: Annotated[str | None, QueryParameter(description=N_("YYYY-MM-DD，默认今天"))] = None,
) -> Summary:
    errors: list[FieldError] = []
    day = views.parse_day(on, errors)
    if errors:
        raise InvalidInput(errors)
    async with worker(request).pool.acquire() as conn:
        return await q.summary(conn, on=day or clock.today())


@get(
    "/certificates",
    name="api.certificates",
    summary=N_("证明事项清单（筛选、分页）"),
    responses=error_responses(400, 429, 503),
)
async def certificates(
    request: Req,
    status: Annotated[str | None, QueryParameter(description="retained | abolished")] = None,
    q_: Annotated[str | None, QueryParameter(name="q", description=N_("名称或别名"))] = None,
    department: Annotated[str | None, QueryParameter(description=N_("索要单位编码或名称"))] = None,
    domain: Annotated[str | None, QueryParameter(description=N_("所属领域"))] = None,
    replacement: Annotated[str | None, QueryParameter(description=N_("取消后办理方式"))] = None,
    kind: Annotated[
        str | None, QueryParameter(description=N_("办理方式类型代码，如 commitment、verification"))
    ] = None,
    on: Annotated[str | None, QueryParameter(description=N_("YYYY-MM-DD：当日有效的清单"))] = None,
    page: Annotated[str | None, QueryParameter(description=N_("页码，从 1 开始"))] = None,
    per_page: Annotated[
        str | None, QueryParameter(description=N_("每页条数，1–200，默认 50"))
    ] = None,
) -> CertificatePage:
    filters = views.parse_filters(
        status=status,
        q=q_,
        department=department,
        domain=domain,
        replacement=replacement,
        kind=kind,
        on=on,
        page=page,
        per_page=per_page,
    )
    codes = await views.search_codes(request, filters, client_address(request))
    async with worker(request).pool.acquire() as conn:
        return await views.certificate_page(conn, filters, codes)


@get(
    "/certificates/{code:str}",
    name="api.certificate",
    summary=N_("单个证明事项及其版本历史"),
    responses=error_responses(400, 404, 503),
)
async def certificate(
    request: Req,
    code: FromPath[str],
    on: Annotated[str | None, QueryParameter(description="YYYY-MM-DD")] = None,
) -> CertificateDetail:
    errors: list[FieldError] = []
    day = views.parse_day(on, errors)
    if errors:
        raise InvalidInput(errors)
    async with worker(request).pool.acquire() as conn:
        return await views.certificate_detail(conn, code, day)


@get(
    "/check",
    name="api.check",
    summary=N_("能不能要求我提供这个证明？"),
    responses={200: ResponseSpec(data_container=Verdict, description="判断结果")}
    | error_responses(400, 429, 503),
)
async def check(
    request: Req,
    name: Annotated[
        str | None, QueryParameter(description=N_("证明名称（简繁体、别名、拼音均可）"))
    ] = None,
    matter: Annotated[str | None, QueryParameter(description=N_("办理事项（可选）"))] = None,
    department: Annotated[str | None, QueryParameter(description=N_("索要单位（可选）"))] = None,
    on: Annotated[
        str | None, QueryParameter(description=N_("YYYY-MM-DD，按当日有效的清单判断"))
    ] = None,
) -> Response[bytes]:
    """Repeat questions are answered from memory: most people ask about a few certificates.
    Once remembered, registry.web.door.AnswerDoor answers them before routing, with the same
    bytes; the key is the parsed question, so other parameters make no new entries."""
    lookup = worker(request).lookup
    question, day = views.parse_question(name, matter, department, on)
    key = lookup.answer_key(question, day)
    body = lookup.answers.get(key)
    if body is None:
        generation = lookup.generation
        pool = worker(request).pool
        verdict = await views.check(pool, lookup, question, day, client_address(request))
        body = msgspec.json.encode(verdict)
        lookup.remember(key, body, generation)
    return Response(body, media_type=MediaType.JSON)


@get(
    "/matters",
    name="api.matters",
    summary=N_("办事指南：我要办什么事，能要哪些证明？"),
    description="按群众的说法（上户口、领失业金、开饭馆）找清单上的办理事项；每项列出办理时"
    "可以要求的证明（保留）和不得要求的证明（已取消，及取消后的办理方式）。q 为空时列出全部事项。",
    responses={200: ResponseSpec(data_container=views.MatterList, description="匹配的办理事项")}
    | error_responses(400, 429, 503),
)
async def matters(
    request: Req,
    q_: Annotated[
        str | None, QueryParameter(name="q", description=N_("要办的事，用自己的话说（可空）"))
    ] = None,
    on: Annotated[
        str | None, QueryParameter(description=N_("YYYY-MM-DD，按当日有效的清单"))
    ] = None,
) -> views.MatterList:
    text, day = views.parse_matter_query(q_, on)
    pool = worker(request).pool
    return await views.matters(pool, worker(request).lookup, text, day, client_address(request))


@get(
    "/matter",
    name="api.matter",
    summary=N_("一个办理事项：可以要求和不得要求的证明"),
    responses={200: ResponseSpec(data_container=MatterGuide, description="该事项的办事指南")}
    | error_responses(400, 404, 429, 503),
)
async def matter(
    request: Req,
    name: Annotated[
        str | None, QueryParameter(description=N_("办理事项，按清单上的写法（见 /api/v1/matters）"))
    ] = None,
    on: Annotated[
        str | None, QueryParameter(description=N_("YYYY-MM-DD，按当日有效的清单"))
    ] = None,
) -> MatterGuide:
    text, day = views.parse_matter_name(name, on)
    pool = worker(request).pool
    return await views.matter(pool, worker(request).lookup, text, day, client_address(request))


@post(
    "/complaints",
    name="api.file_complaint",
    status_code=201,
    summary=N_("投诉举报：被索要已取消或清单外的证明"),
    description="需要请求头 Idempotency-Key（16–200 个可见 ASCII 字符，每份投诉一个随机值，"
    "如 UUID）：重试时带同一个键，只会生成一件投诉并返回同一回执，超过提交频率限制也照样返回。",
    responses={201: ResponseSpec(data_container=Receipt, description="回执：查询编号与查询码")}
    | error_responses(400, 413, 422, 429, 503),
)
async def file_complaint(
    request: Req,
    data: JSONBody[ComplaintIn],
    idempotency_key: Annotated[
        str | None,
        HeaderParameter(
            name="Idempotency-Key", description=N_("每份投诉一个随机值（如 UUID），16–200 个字符")
        ),
    ] = None,
) -> Response[bytes]:
    key = (idempotency_key or "").strip()
    if not cases.KEY_RE.match(key):
        raise InvalidInput([FieldError("Idempotency-Key", KEY_MESSAGE)])
    receipt, replayed = await submit(request, data, key)
    headers = {"idempotent-replayed": "true"} if replayed else {}
    return Response(
        msgspec.json.encode(receipt), status_code=201, media_type=MediaType.JSON, headers=headers
    )


@get(
    "/complaints/{reference:str}",
    name="api.complaint",
    summary=N_("查询投诉办理进度（不含联系方式）"),
    responses={200: ResponseSpec(data_container=ComplaintPublic, description="办理进度")}
    | error_responses(400, 404, 429, 503),
)
async def complaint_status(
    request: Req,
    reference: FromPath[str],
    access_code: Annotated[
        str | None, HeaderParameter(name="X-Access-Code", description=N_("提交时给出的查询码"))
    ] = None,
) -> ComplaintPublic:
    """Unknown reference and wrong code give the same 404."""
    await limit(request, "track", worker(request).settings.tracking_limit)
    async with worker(request).pool.acquire() as conn:
        found = await cases.track(conn, reference[:40], (access_code or "")[:40])
    if found is None:
        raise NotFound("查询编号或查询码不正确")
    return found


@get(
    "/departments",
    name="api.departments",
    summary=N_("部门与乡镇（街道）"),
    responses=error_responses(400, 503),
)
async def departments(request: Req) -> list[Department]:
    async with worker(request).pool.acquire() as conn:
        return await dq.list_departments(conn)


@get(
    "/api/docs",
    name="api.docs",
    include_in_schema=False,
    opt={"exclude_from_csrf": True, "policy": "public"},
)
async def docs(request: Req) -> Any:
    """API documentation rendered on the server from our own OpenAPI: no CDN needed."""
    schema = request.app.openapi_schema.to_schema()
    return Response(
        render_page(request, "api/docs.html", schema=schema, json_url="/schema/openapi.json"),
        media_type=MediaType.HTML,
    )


router = Router(
    path="/api/v1",
    # No cookies here: Idempotency-Key and access codes instead of CSRF tokens.
    opt={"exclude_from_csrf": True, "policy": "public"},
    route_handlers=[
        summary,
        certificates,
        certificate,
        check,
        matters,
        matter,
        departments,
        file_complaint,
        complaint_status,
    ],
    tags=["v1"],
)
