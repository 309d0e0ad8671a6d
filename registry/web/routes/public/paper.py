"""The list on paper: a 窗口出示卡 per item, a printable verdict, the 公开栏海报 (A4 / A3).

Each page carries QR codes (registry/web/paper.py) to absolute addresses, so the site's base
URL is part of every cache key."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from litestar import MediaType, Request, Response, Router, get
from litestar.params import FromPath, FromQuery

from registry.catalogue.models import Status
from registry.catalogue.queries import certificates as q
from registry.infra import clock
from registry.infra.errorshape import FieldError
from registry.web import views
from registry.web.client import client_address
from registry.web.errors import InvalidInput
from registry.web.paper import qr_svg
from registry.web.rendering import render_page
from registry.web.state import worker
from registry.web.urls import absolute, public_base, url_for

Req = Request[Any, Any, Any]
POSTER_SIZES = ("a4", "a3")


async def _cached(request: Req, key: tuple[Any, ...], render: Any) -> Response[bytes]:
    # As the other public pages (pages.cached): the reconstruction notice is read first.
    await worker(request).list_official()
    return await worker(request).pages.respond(request, (public_base(request), *key), render)


@get("/certificates/{code:str}/card", name="public.certificate_card", include_in_schema=False)
async def certificate_card(request: Req, code: FromPath[str]) -> Response[bytes]:
    """窗口出示卡: the item as in force today, its permalink as a QR code, where to complain."""

    async def render() -> str:
        async with worker(request).pool.acquire() as conn:
            item = await views.certificate_detail(conn, code)
        permalink = absolute(request, url_for(request, "public.certificate", code=item.code))
        complain = absolute(
            request, url_for(request, "public.complaint_new", {"certificate_name": item.name})
        )
        return render_page(
            request,
            "public/paper/card.html",
            item=item,
            permalink=permalink,
            qr=qr_svg(permalink, f"二维码：{item.name}在清单上的页面"),
            complaint_url=absolute(request, url_for(request, "public.complaint_new")),
            complaint_qr=qr_svg(complain, "二维码：投诉举报"),
        )

    return await _cached(request, ("card", code), render)


@get("/check/print", name="public.check_print", include_in_schema=False)
async def check_print(
    request: Req,
    name: FromQuery[str | None] = None,
    matter: FromQuery[str | None] = None,
    department: FromQuery[str | None] = None,
    on: FromQuery[str | None] = None,
) -> Response[bytes]:
    """The verdict for paper: the answer, its basis, and a QR code to the verdict page."""
    try:
        question, day = views.parse_question(name, matter, department, on)
    except InvalidInput as exc:
        html = render_page(request, "public/paper/verdict.html", verdict=None, errors=exc.errors)
        return Response(html.encode(), status_code=400, media_type=MediaType.HTML)
    fields = (question.name, question.matter, question.department, day and day.isoformat())
    asked = {k: v for k, v in zip(("name", "matter", "department", "on"), fields, strict=True) if v}

    async def render() -> str:
        state = worker(request)
        verdict = await views.check(
            state.pool, state.lookup, question, day, client_address(request)
        )
        verdict_url = absolute(request, url_for(request, "public.check", asked))
        return render_page(
            request,
            "public/paper/verdict.html",
            verdict=verdict,
            question=question,
            verdict_url=verdict_url,
            verdict_shown=unquote(verdict_url),  # printed as people type it
            qr=qr_svg(verdict_url, "二维码：网上的这个答案"),
            complaint_url=absolute(request, url_for(request, "public.complaint_new")),
        )

    return await _cached(request, ("check-print", *asked.items()), render)


@get("/poster", name="public.poster", include_in_schema=False)
async def poster(request: Req, size: FromQuery[str | None] = None) -> Response[bytes]:
    """公开栏海报: the retained list in force today, for a village notice board (A4 or A3)."""
    chosen = (size or "a4").lower()
    if chosen not in POSTER_SIZES:
        raise InvalidInput([FieldError("size", "纸张大小只能是 a4 或 a3")])

    async def render() -> str:
        async with worker(request).pool.acquire() as conn:
            items, total = await q.list_certificates(conn, on=clock.today(), status=Status.RETAINED)
        check_url = absolute(request, url_for(request, "public.check"))
        complaint_url = absolute(request, url_for(request, "public.complaint_new"))
        return render_page(
            request,
            "public/paper/poster.html",
            size=chosen,
            density=density(total),
            items=items,
            total=total,
            check_url=check_url,
            check_qr=qr_svg(check_url, "二维码：查一查能不能要"),
            complaint_url=complaint_url,
            complaint_qr=qr_svg(complaint_url, "二维码：投诉举报"),
        )

    return await _cached(request, ("poster", chosen), render)


def density(count: int) -> str:
    """How tightly the poster sets its list so that it stays on one sheet (static/paper.css)."""
    return next(name for most, name in DENSITIES if count <= most)


DENSITIES = ((12, "few"), (30, "some"), (60, "many"), (10**9, "lots"))


router = Router(
    path="/",
    opt={"exclude_from_csrf": True, "policy": "public"},
    route_handlers=[certificate_card, check_print, poster],
)
