"""Public HTML pages: home, the two lists, an item, downloads. Rendered pages are cached."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import MediaType, Request, Response, Router, get
from litestar.params import FromPath, FromQuery, QueryParameter

from registry.catalogue import transfer
from registry.catalogue.models import Status
from registry.catalogue.queries import certificates as q
from registry.catalogue.queries import departments as dq
from registry.checker.decide import OTHER_MATTER
from registry.commitments.queries import forms as commitment_forms
from registry.infra import clock
from registry.infra.errorshape import FieldError
from registry.web import views
from registry.web.client import client_address
from registry.web.errors import InvalidInput, NotFound
from registry.web.language import speaks
from registry.web.rendering import render_page
from registry.web.state import worker
from registry.web.urls import url_for

Req = Request[Any, Any, Any]


async def cached(
    request: Req, key: str | tuple[Any, ...], render: Callable[[], Awaitable[str]]
) -> Response[bytes]:
    pages = worker(request).pages
    # The mode and the language join the key in PageCache.respond.
    # The notice about the reconstruction is part of the page: read for this generation first.
    await worker(request).list_official()
    return await pages.respond(request, key, render)


async def dated(conn: Any, day: dt.date | None) -> dict[str, Any]:
    """What a page dated by ?on= says about its date: which day, and the list's figures then."""
    shown = day or clock.today()
    return {
        "on": day,
        "shown_on": shown,
        "summary": await q.summary(conn, on=shown),
    }


@get("/", name="public.home", include_in_schema=False)
async def home(request: Req) -> Response[bytes]:
    async def render() -> str:
        async with worker(request).pool.acquire() as conn:
            summary = await q.summary(conn, on=clock.today())
        json_url = url_for(request, "api.summary")
        return render_page(request, "public/home.html", summary=summary, json_url=json_url)

    return await cached(request, "home", render)


@get("/certificates/retained", name="public.retained", include_in_schema=False)
async def retained(request: Req, on: FromQuery[str | None] = None) -> Response[bytes]:
    filters = views.parse_filters(status="retained", on=on, per_page=str(views.MAX_PER_PAGE))
    day = filters.on.isoformat() if filters.on else ""

    async def render() -> str:
        async with worker(request).pool.acquire() as conn:
            page = await views.certificate_page(conn, filters)
            when = await dated(conn, filters.on)
        return render_page(
            request,
            "public/certificates/retained.html",
            page=page,
            json_url=url_for(
                request, "api.certificates", {"status": "retained", "per_page": 200, "on": day}
            ),
            **when,
        )

    return await cached(request, ("retained", day), render)


@get("/certificates/abolished", name="public.abolished", include_in_schema=False)
async def abolished(
    request: Req,
    q_: Annotated[str | None, QueryParameter(name="q")] = None,
    department: FromQuery[str | None] = None,
    domain: FromQuery[str | None] = None,
    replacement: FromQuery[str | None] = None,
    kind: FromQuery[str | None] = None,
    page: FromQuery[str | None] = None,
    on: FromQuery[str | None] = None,
) -> Response[bytes]:
    args = {
        "q": q_,
        "department": department,
        "domain": domain,
        "replacement": replacement,
        "kind": kind,
        "page": page,
        "on": on,
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
            ("kind", filters.kind),
            ("on", filters.on.isoformat() if filters.on else None),
        )
        if v
    }

    async def render() -> str:
        codes = await views.search_codes(request, filters, client_address(request))
        async with worker(request).pool.acquire() as conn:
            result = await views.certificate_page(conn, filters, codes)
            facets = await q.facets(conn, on=filters.on or clock.today(), status="abolished")
            departments = await dq.list_departments(conn)
            when = await dated(conn, filters.on)
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
            json_url=url_for(request, "api.certificates", {"status": "abolished", **given}),
            **when,
        )

    return await cached(request, ("abolished", filters.page, *given.items()), render)


@get("/certificates/{code:str}", name="public.certificate", include_in_schema=False)
async def certificate(
    request: Req, code: FromPath[str], on: FromQuery[str | None] = None
) -> Response[bytes]:
    errors: list[FieldError] = []
    day = views.parse_day(on, errors)
    if errors:
        raise InvalidInput(errors)

    async def render() -> str:
        async with worker(request).pool.acquire() as conn:
            item = await views.certificate_detail(conn, code, on=day)
            when = await dated(conn, day)
            pledge = await commitment_forms.current(conn, item.code, when["shown_on"])
        shown = when["shown_on"]
        in_force = any(
            v.superseded_at is None
            and v.valid_from <= shown
            and (v.valid_to is None or shown < v.valid_to)
            for v in item.history
        )
        return render_page(
            request,
            "public/certificates/detail.html",
            item=item,
            in_force=in_force,
            json_url=url_for(request, "api.certificate", code=code),
            commitment=pledge,
            **when,
        )

    return await cached(request, ("item", code, day.isoformat() if day else ""), render)


@get("/about/list", name="public.about_list", include_in_schema=False)
async def about_list(request: Req) -> Response[bytes]:
    """What the list on this site is: the reconstruction, or the county's official list."""

    async def render() -> str:
        async with worker(request).pool.acquire() as conn:
            summary = await q.summary(conn, on=clock.today())
        official = await worker(request).list_official()
        return render_page(request, "public/about_list.html", summary=summary, official=official)

    return await cached(request, "about-list", render)


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
        words = speaks(request)  # the field errors in the reader's language (the API's: 中文)
        html = render_page(
            request,
            "public/check.html",
            verdict=None,
            question=None,
            errors=[FieldError(e.field, words.gettext(e.message)) for e in exc.errors],
            departments=await views.departments(worker(request)),
        )
        return Response(html.encode(), status_code=400, media_type=MediaType.HTML)

    on_ = day.isoformat() if day else None
    fields = (question.name, question.matter, question.department, on_)
    names = ("name", "matter", "department", "on")
    asked = {k: v for k, v in zip(names, fields, strict=True) if v}

    async def render() -> str:
        lookup = worker(request).lookup
        pool = worker(request).pool
        verdict = await views.check(pool, lookup, question, day, client_address(request))
        return render_page(
            request,
            "public/check.html",
            verdict=verdict,
            question=question,
            departments=await views.departments(worker(request)),
            other_matter=OTHER_MATTER,  # "办其他事" is not kept in the form for the next name
            json_url=url_for(request, "api.check", asked),
        )

    # The page shows the parsed question only: its key, whatever else the URL carried.
    return await cached(request, ("check", *asked.items()), render)


@get("/matters", name="public.matters", include_in_schema=False)
async def matters(
    request: Req,
    q_: Annotated[str | None, QueryParameter(name="q")] = None,
    on: FromQuery[str | None] = None,
) -> Response[bytes]:
    """我要办什么事: the official matters the words mean, each linking its guide."""
    text, day = views.parse_matter_query(q_, on)
    asked = {k: v for k, v in (("q", text), ("on", day.isoformat() if day else "")) if v}

    async def render() -> str:
        state = worker(request)
        found = await views.matters(state.pool, state.lookup, text, day, client_address(request))
        return render_page(
            request,
            "public/matters.html",
            result=found,
            on=day,
            json_url=url_for(request, "api.matters", asked),
        )

    return await cached(request, ("matters", *asked.items()), render)


@get("/matter", name="public.matter", include_in_schema=False)
async def matter(
    request: Req, name: FromQuery[str | None] = None, on: FromQuery[str | None] = None
) -> Response[bytes]:
    """办理 X 时：可以要求 …；不得要求 …. A matter not on the list: 404 with look-alikes."""
    text, day = views.parse_matter_name(name, on)
    asked = {k: v for k, v in (("name", text), ("on", day.isoformat() if day else "")) if v}
    state = worker(request)
    client = client_address(request)

    async def render() -> str:
        guide = await views.matter(state.pool, state.lookup, text, day, client)
        return render_page(
            request,
            "public/matter.html",
            guide=guide,
            on=day,
            json_url=url_for(request, "api.matter", asked),
        )

    try:
        return await cached(request, ("matter", *asked.items()), render)
    except NotFound as exc:
        similar = await views.matters(state.pool, state.lookup, text, day, client)
        html = render_page(
            request,
            "public/matter.html",
            guide=None,
            missing=text,
            message=exc.message,
            similar=similar.matters[:10],
            on=day,
        )
        return Response(html.encode(), status_code=404, media_type=MediaType.HTML)


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
    async with worker(request).pool.acquire() as conn:
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
    route_handlers=[
        home,
        retained,
        abolished,
        certificate,
        about_list,
        check,
        matters,
        matter,
        download,
    ],
)
