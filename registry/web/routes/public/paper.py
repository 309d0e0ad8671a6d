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
from registry.infra.i18n import N_, TRADITIONAL, traditional
from registry.web import views
from registry.web.client import client_address
from registry.web.errors import InvalidInput
from registry.web.language import language_of, speaks
from registry.web.paper import qr_svg, standing
from registry.web.rendering import render_page
from registry.web.state import worker
from registry.web.urls import absolute, public_base, url_for

Req = Request[Any, Any, Any]
POSTER_SIZES = ("a4", "a3")
# What screen readers say for each QR code (its <title>), in the reader's language.
QR_ITEM = N_("二维码：%(name)s在清单上的页面")  # English: "QR code: this item's page"
QR_COMPLAIN = N_("二维码：投诉举报")
QR_VERDICT = N_("二维码：网上的这个答案")
QR_CHECK = N_("二维码：查一查能不能要")
QR_LIST = N_("二维码：完整的保留清单")


def _label(request: Req, msgid: str, name: str) -> str:
    """A label naming list data: in Traditional characters for 繁體 (English leaves it out)."""
    shown = traditional(name) if language_of(request) == TRADITIONAL else name
    return speaks(request).gettext(msgid) % {"name": shown}


async def _cached(request: Req, key: tuple[Any, ...], render: Any) -> Response[bytes]:
    # As the other public pages (pages.cached): the reconstruction notice is read first.
    await worker(request).list_official()
    key = (public_base(request), *key)  # a page per site (the language joins in PageCache)
    return await worker(request).pages.respond(request, key, render)


@get("/certificates/{code:str}/card", name="public.certificate_card", include_in_schema=False)
async def certificate_card(request: Req, code: FromPath[str]) -> Response[bytes]:
    """窗口出示卡: the item as in force today, its permalink as a QR code, where to complain."""

    async def render() -> str:
        async with worker(request).pool.acquire() as conn:
            item = await views.certificate_detail(conn, code)
        words = speaks(request)
        permalink = absolute(request, url_for(request, "public.certificate", code=item.code))
        complain = absolute(
            request, url_for(request, "public.complaint_new", {"certificate_name": item.name})
        )
        return render_page(
            request,
            "public/paper/card.html",
            item=item,
            standing=standing(item.history, clock.today()),
            permalink=permalink,
            # English names the page, not the item: no Chinese in what a screen reader says.
            qr=qr_svg(permalink, _label(request, QR_ITEM, name=item.name)),
            complaint_url=absolute(request, url_for(request, "public.complaint_new")),
            complaint_qr=qr_svg(complain, words.gettext(QR_COMPLAIN)),
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
            qr=qr_svg(verdict_url, speaks(request).gettext(QR_VERDICT)),
            complaint_url=absolute(request, url_for(request, "public.complaint_new")),
        )

    return await _cached(request, ("check-print", *asked.items()), render)


@get("/poster", name="public.poster", include_in_schema=False)
async def poster(request: Req, size: FromQuery[str | None] = None) -> Response[bytes]:
    """公开栏海报: the retained list in force today, for a village notice board (A4 or A3)."""
    chosen = (size or "a4").lower()
    if chosen not in POSTER_SIZES:
        raise InvalidInput([FieldError("size", N_("纸张大小只能是 a4 或 a3"))])

    async def render() -> str:
        async with worker(request).pool.acquire() as conn:
            items, total = await q.list_certificates(conn, on=clock.today(), status=Status.RETAINED)
        words = speaks(request)
        check_url = absolute(request, url_for(request, "public.check"))
        complaint_url = absolute(request, url_for(request, "public.complaint_new"))
        list_url = absolute(request, url_for(request, "public.retained"))
        shown = fit([c.name for c in items], chosen)
        return render_page(
            request,
            "public/paper/poster.html",
            size=chosen,
            density=density(len(items)),
            items=items[:shown],
            more=len(items) - shown,
            total=total,
            list_url=list_url,
            list_qr=qr_svg(list_url, words.gettext(QR_LIST)) if shown < len(items) else "",
            check_url=check_url,
            check_qr=qr_svg(check_url, words.gettext(QR_CHECK)),
            complaint_url=complaint_url,
            complaint_qr=qr_svg(complaint_url, words.gettext(QR_COMPLAIN)),
        )

    return await _cached(request, ("poster", chosen), render)


def density(count: int) -> str:
    """How tightly the poster sets its list so that it stays on one sheet (static/paper.css)."""
    return next(name for most, name in DENSITIES if count <= most)


DENSITIES = ((12, "few"), (30, "some"), (60, "many"), (120, "lots"), (10**9, "dense"))
# What one sheet holds at the smallest type ("dense", static/paper.css): lines of the list
# (five columns), a name taking a line per LINE_CHARS characters, its number included. Measured
# in Chromium with a margin (tests/browser/test_paper.py prints 200 extra names on one page).
SHEET_LINES = {"a4": 300, "a3": 340}
LINE_CHARS = {"a4": 11, "a3": 13}
NUMBER_CHARS = 2


def fit(names: list[str], size: str) -> int:
    """How many of the names, in order, the poster prints on one sheet of `size`; the rest
    are counted ("…and N more") and reached by a QR code to the whole list."""
    if len(names) <= DENSITIES[-2][0]:
        return len(names)  # up to "lots" every name is printed (measured: 120 fit on A4)
    used = 0
    for n, name in enumerate(names):
        used += -(-(len(name) + NUMBER_CHARS) // LINE_CHARS[size])
        if used > SHEET_LINES[size] - 2:  # the "…and N more" line
            return n
    return len(names)


router = Router(
    path="/",
    opt={"exclude_from_csrf": True, "policy": "public"},
    route_handlers=[certificate_card, check_print, poster],
)
