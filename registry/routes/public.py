"""Public HTML pages: home, the two lists, an item, downloads. Rendered pages are cached."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import MediaType, Request, Response, Router, get
from litestar.params import FromPath, FromQuery, QueryParameter

from registry import clock, transfer, views
from registry.errors import InvalidInput, NotFound
from registry.models import Status
from registry.queries import certificates as q
from registry.queries import departments as dq
from registry.routes.complaints import client_address
from registry.web import PageCache, render_page

Req = Request[Any, Any, Any]


async def cached(
    request: Req, key: str | tuple[Any, ...], render: Callable[[], Awaitable[str]]
) -> Response[bytes]:
    pages: PageCache = request.app.state.pages
    return await pages.respond(request, key, render)


@get("/", name="public.home", include_in_schema=False)
async def home(request: Req) -> Response[bytes]:
    async def render() -> str:
        async with request.app.state.pool.acquire() as conn:
            summary = await q.summary(conn, on=clock.today())
        return render_page(request, "public/home.html", summary=summary, json_url="/api/v1/summary")

    return await cached(request, "home", render)


@get("/certificates/retained", name="public.retained", include_in_schema=False)
async def retained(request: Req) -> Response[bytes]:
    async def render() -> str:
        filters = views.parse_filters(status="retained", per_page=str(views.MAX_PER_PAGE))
        async with request.app.state.pool.acquire() as conn:
            page = await views.certificate_page(conn, filters)
        return render_page(
            request,
            "public/certificates/retained.html",
            page=page,
            json_url="/api/v1/certificates?status=retained&per_page=200",
        )

    return await cached(request, "retained", render)


@get("/certificates/abolished", name="public.abolished", include_in_schema=False)
async def abolished(
    request: Req,
    q_: Annotated[str | None, QueryParameter(name="q")] = None,
    department: FromQuery[str | None] = None,
    domain: FromQuery[str | None] = None,
    replacement: FromQuery[str | None] = None,
    page: FromQuery[str | None] = None,
) -> Response[bytes]:
    args = {
        "q": q_,
        "department": department,
        "domain": domain,
        "replacement": replacement,
        "page": page,
    }
    filters = views.parse_filters(status="abolished", **args)
    # The page is rendered from the parsed filters only, so they alone are its cache key.
    given = {
        k: v
        for k, v in (
            ("q", filters.q),
            ("department", filters.department),
            ("domain", filters.domain),
            ("replacement", filters.replacement),
        )
        if v
    }

    async def render() -> str:
        codes = await views.search_codes(request, filters, client_address(request))
        async with request.app.state.pool.acquire() as conn:
            result = await views.certificate_page(conn, filters, codes)
            facets = await q.facets(conn, on=clock.today(), status="abolished")
            departments = await dq.list_departments(conn)
        dep_names = {d.name for d in departments}
        return render_page(
            request,
            "public/certificates/abolished.html",
            page=result,
            filters=filters,
            facets=facets,
            departments=[d for d in departments if d.name in facets["departments"]]
            or [d for d in departments if d.name in dep_names],
            query=urlencode(given),
            json_url="/api/v1/certificates?" + urlencode({"status": "abolished", **given}),
        )

    return await cached(request, ("abolished", filters.page, *given.items()), render)


@get("/certificates/{code:str}", name="public.certificate", include_in_schema=False)
async def certificate(request: Req, code: FromPath[str]) -> Response[bytes]:
    async def render() -> str:
        async with request.app.state.pool.acquire() as conn:
            item = await views.certificate_detail(conn, code)
        return render_page(
            request,
            "public/certificates/detail.html",
            item=item,
            json_url=f"/api/v1/certificates/{code}",
        )

    return await cached(request, "item|" + code, render)


@get("/check", name="public.check", include_in_schema=False)
async def check(
    request: Req,
    name: FromQuery[str | None] = None,
    matter: FromQuery[str | None] = None,
    department: FromQuery[str | None] = None,
    on: FromQuery[str | None] = None,
) -> Response[bytes]:
    """The verdict page: one plain sentence, the basis or the abolition, a complaint button."""
    try:
        question, day = views.parse_question(name, matter, department, on)
    except InvalidInput as exc:
        html = render_page(
            request, "public/check.html", verdict=None, question=None, errors=exc.errors
        )
        return Response(html.encode(), status_code=400, media_type=MediaType.HTML)

    on_ = day.isoformat() if day else None
    fields = (question.name, question.matter, question.department, on_)
    names = ("name", "matter", "department", "on")
    asked = {k: v for k, v in zip(names, fields, strict=True) if v}

    async def render() -> str:
        lookup = request.app.state.lookup
        pool = request.app.state.pool
        verdict = await views.check(pool, lookup, question, day, client_address(request))
        return render_page(
            request,
            "public/check.html",
            verdict=verdict,
            question=question,
            json_url="/api/v1/check?" + urlencode(asked),
        )

    # The page shows the parsed question only: its key, whatever else the URL carried.
    return await cached(request, ("check", *asked.items()), render)


DOWNLOADS = {
    "retained.csv": (Status.RETAINED, "csv"),
    "retained.xlsx": (Status.RETAINED, "xlsx"),
    "abolished.csv": (Status.ABOLISHED, "csv"),
    "abolished.xlsx": (Status.ABOLISHED, "xlsx"),
    "all.csv": (None, "csv"),
    "all.xlsx": (None, "xlsx"),
}
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@get("/downloads/{filename:str}", name="public.download", include_in_schema=False)
async def download(request: Req, filename: FromPath[str]) -> Response[bytes]:
    """The list in force today as a spreadsheet; cells that look like formulas are quoted."""
    if filename not in DOWNLOADS:
        raise NotFound("没有这个下载文件")
    status, fmt = DOWNLOADS[filename]
    async with request.app.state.pool.acquire() as conn:
        items, _ = await q.list_certificates(conn, on=clock.today(), status=status)
    body = transfer.export_csv(items) if fmt == "csv" else transfer.export_xlsx(items)
    stem = {"retained": "保留证明事项清单", "abolished": "取消证明事项清单"}.get(
        filename.split(".")[0], "证明事项清单"
    )
    disposition = f"attachment; filename*=UTF-8''{_quote(stem)}.{fmt}"
    return Response(body, media_type=MEDIA[fmt], headers={"content-disposition": disposition})


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


router = Router(
    path="/",
    # Cacheable pages: no CSRF cookie to set, no form to protect.
    opt={"exclude_from_csrf": True, "policy": "public"},
    route_handlers=[home, retained, abolished, certificate, check, download],
)
