"""Public transparency: the list's change log (HTML, JSON, Atom) and complaint statistics."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Annotated, Any
from urllib.parse import quote

from litestar import MediaType, Request, Response, Router, get
from litestar.params import QueryParameter

from registry.catalogue import sheets
from registry.catalogue.queries import changes as cq
from registry.complaints.models import (
    CLASSIFICATION_LABELS,
    COMPLAINT_STATUS_LABELS,
    Classification,
    ComplaintStatus,
)
from registry.complaints.queries import stats as sq
from registry.complaints.workflow import SATISFACTION
from registry.infra import clock
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.verification.queries import stats as vs
from registry.web.errors import InvalidInput, error_responses
from registry.web.rendering import render_page
from registry.web.state import worker
from registry.web.urls import Urls, public_base, url_for, urls_of

Req = Request[Any, Any, Any]
PER_PAGE = 50
MAX_PER_PAGE = 200
FEED_SIZE = 50
ATOM = "http://www.w3.org/2005/Atom"
TAG_DATE = "2018"  # the year the list was first published; part of every feed id, never change
# Characters XML 1.0 cannot carry at all: dropped rather than producing an unreadable feed.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _int(text: str | None, field: str, default: int, hi: int, errors: list[FieldError]) -> int:
    if not text:
        return default
    n = int(text) if text.isdigit() and len(text) < 10 else 0
    if not 1 <= n <= hi:
        errors.append(FieldError(field, f"应为 1 到 {hi} 之间的整数"))
        return default
    return n


def _since(text: str | None, errors: list[FieldError]) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(FieldError("since", "日期格式应为 YYYY-MM-DD"))
        return None


# ---- the change log -----------------------------------------------------------------------


@get("/changes", name="public.changes", include_in_schema=False)
async def changes_page(
    request: Req, page: Annotated[str | None, QueryParameter()] = None
) -> Response[bytes]:
    """Cached like the lists: the log only changes when the list does (which clears the cache)."""
    errors: list[FieldError] = []
    page_n = _int(page, "page", 1, 1_000_000, errors)
    if errors:
        raise InvalidInput(errors)

    async def render() -> str:
        async with worker(request).pool.acquire() as conn:
            result = await cq.list_changes(conn, page=page_n, per_page=PER_PAGE)
        return render_page(
            request,
            "public/changes.html",
            page=result,
            query="",
            json_url=url_for(request, "api.changes", {"page": page_n, "per_page": PER_PAGE}),
        )

    pages = worker(request).pages
    return await pages.respond(request, f"changes|{page_n}", render)


@get(
    "/api/v1/changes",
    name="api.changes",
    summary=N_("清单变更记录（新增、取消、恢复保留、修改、更正）"),
    tags=["v1"],
    responses=error_responses(400, 503),
)
async def changes_api(
    request: Req,
    since: Annotated[
        str | None, QueryParameter(description=N_("YYYY-MM-DD：此日及以后记录的变更"))
    ] = None,
    page: Annotated[str | None, QueryParameter(description=N_("页码，从 1 开始"))] = None,
    per_page: Annotated[
        str | None, QueryParameter(description=N_("每页条数，1–200，默认 50"))
    ] = None,
) -> cq.ChangePage:
    errors: list[FieldError] = []
    day = _since(since, errors)
    page_n = _int(page, "page", 1, 1_000_000, errors)
    per = _int(per_page, "per_page", PER_PAGE, MAX_PER_PAGE, errors)
    if errors:
        raise InvalidInput(errors)
    async with worker(request).pool.acquire() as conn:
        return await cq.list_changes(conn, since=day, page=page_n, per_page=per)


@get("/changes.atom", name="public.changes_feed", include_in_schema=False)
async def changes_feed(request: Req) -> Response[bytes]:
    async with worker(request).pool.acquire() as conn:
        result = await cq.list_changes(conn, page=1, per_page=FEED_SIZE)
    base, authority = public_base(request), _authority(request)
    body = atom_feed(result.items, base=base, authority=authority, urls=urls_of(request.app))
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def _authority(request: Req) -> str:
    """The tag: URI authority: the configured host, so ids do not depend on how we were reached."""
    hosts = [h for h in worker(request).settings.allowed_hosts if "*" not in h]
    return (hosts[0] if hosts else request.url.hostname) or "localhost"


def _text(value: str) -> str:
    return XML_ILLEGAL.sub("", value)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _text(text)
    return el


def atom_feed(items: list[cq.Change], *, base: str, authority: str, urls: Urls) -> bytes:
    """Atom 1.0 built as a tree, so every name and reason is escaped by the serializer."""
    log = base + urls("public.changes")
    # Unprefixed names under a declared default namespace: the plain Atom every reader expects.
    feed = ET.Element(
        "feed", {"xmlns": ATOM, "{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"}
    )
    _sub(feed, "id", f"tag:{authority},{TAG_DATE}:changes")
    _sub(feed, "title", "长垣县证明事项清单变更记录")
    newest = max((c.recorded_at for c in items), default=clock.utc_now())
    _sub(feed, "updated", newest.isoformat())
    feed_url = base + urls("public.changes_feed")
    _sub(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=log)
    author = _sub(feed, "author")
    _sub(author, "name", "长垣县证明事项清单")
    for c in items:
        entry = _sub(feed, "entry")
        # The initial list is one entry for the whole list, linking the log itself.
        what = "initial-list" if c.counts else f"certificate-version/{c.version_id}"
        _sub(entry, "id", f"tag:{authority},{TAG_DATE}:{what}")
        _sub(entry, "title", c.title)
        _sub(entry, "updated", c.recorded_at.isoformat())
        href = log if c.counts else base + urls("public.certificate", code=c.code)
        _sub(entry, "link", rel="alternate", type="text/html", href=href)
        _sub(entry, "category", term=c.change, label=c.change_label)
        _sub(entry, "summary", _summary(c), type="text")
    xml: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return xml


def _summary(c: cq.Change) -> str:
    parts = [c.title]
    parts.append(f"自 {c.valid_from.isoformat()} 起生效")
    if c.decision_doc:
        parts.append(f"决定文号 {c.decision_doc}")
    if c.reason:
        parts.append(f"原因：{c.reason}")
    if c.superseded:
        parts.append("此记录后来已被更正")
    return "；".join(parts) + "。"


# ---- complaint statistics ------------------------------------------------------------------


@get("/stats", name="public.stats", include_in_schema=False)
async def stats_page(request: Req) -> Response[bytes]:
    """Computed per request: it changes with every complaint, so the list cache does not fit."""
    async with worker(request).pool.acquire() as conn:
        stats = await sq.complaint_stats(conn, today=clock.today())
        verification = await vs.figures(conn, now=clock.now(), min_cases=sq.MIN_CASES)
    html = render_page(
        request,
        "public/stats.html",
        stats=stats,
        verification=verification,
        OTHER_DEPARTMENT=sq.OTHER_DEPARTMENT,  # a label, in the reader's language
        chart=trend_chart(stats.monthly),
        json_url=url_for(request, "api.stats"),
    )
    return Response(html.encode(), media_type=MediaType.HTML, headers={"cache-control": "no-cache"})


@get(
    "/api/v1/stats",
    name="api.stats",
    summary=N_("投诉举报办理统计（不含任何个人信息）"),
    tags=["v1"],
    responses=error_responses(400, 503),
)
async def stats_api(request: Req) -> sq.Stats:
    async with worker(request).pool.acquire() as conn:
        return await sq.complaint_stats(conn, today=clock.today())


@get(
    "/api/v1/stats/verification",
    name="api.stats_verification",
    summary=N_("部门间核查（协查）按时答复统计（不含任何个人信息）"),
    tags=["v1"],
    responses=error_responses(503),
)
async def verification_stats_api(request: Req) -> vs.Figures:
    """Per consulted department: requests received, answered, answered on time, the average
    answer time; rates only from the complaints' minimum volume up."""
    async with worker(request).pool.acquire() as conn:
        return await vs.figures(conn, now=clock.now(), min_cases=sq.MIN_CASES)


CSV_HEADER = [
    "序号",
    "提交日期",
    "被投诉单位",
    "被索要的证明",
    "投诉类别",
    "办理状态",
    "办结日期",
    "按时办结",
    "回访满意度",
]


def csv_cells(row: sq.ComplaintRow) -> list[str]:
    """Labels in Chinese, dates as days; free-text departments only as 其他单位; a row number,
    never the reference."""
    return [
        str(row.number),
        row.submitted_on.isoformat(),
        row.department,
        row.certificate_name,
        CLASSIFICATION_LABELS[Classification(row.classification)],
        COMPLAINT_STATUS_LABELS[ComplaintStatus(row.status)],
        row.closed_on.isoformat() if row.closed_on else "",
        "" if row.closed_on_time is None else ("是" if row.closed_on_time else "否"),
        SATISFACTION.get(row.satisfaction or "", ""),
    ]


@get("/stats/complaints.csv", name="public.stats_csv", include_in_schema=False)
async def stats_csv(request: Req) -> Response[bytes]:
    """Anonymised open data: no description, place, matter, contact or disclosure choice."""
    async with worker(request).pool.acquire() as conn:
        rows = await sq.anonymised_complaints(conn)
    body = sheets.write_csv(CSV_HEADER, (csv_cells(r) for r in rows))
    disposition = f"attachment; filename*=UTF-8''{quote('投诉举报办理情况')}.csv"
    return Response(
        body, media_type="text/csv; charset=utf-8", headers={"content-disposition": disposition}
    )


# The chart's drawing area, in SVG user units (the SVG scales to the page width).
W, H, LEFT, TOP, BOTTOM = 400, 220, 32, 30, 26


def trend_chart(months: list[sq.MonthCount]) -> dict[str, Any]:
    """Bars (received) and a line (closed), laid out here so the template only draws."""
    top = max([1, *(m.received for m in months), *(m.closed for m in months)])
    step = max(1, -(-top // 4))  # four gridlines at whole numbers
    top = step * 4
    plot_h = H - TOP - BOTTOM
    slot = (W - LEFT - 8) / max(1, len(months))

    def y(n: int) -> float:
        return round(TOP + plot_h * (1 - n / top), 1)

    bars = []
    for i, m in enumerate(months):
        x = LEFT + i * slot
        bars.append(
            {
                "x": round(x + slot * 0.15, 1),
                "w": round(slot * 0.7, 1),
                "y": y(m.received),
                "h": round(y(0) - y(m.received), 1),
                "cx": round(x + slot / 2, 1),
                "cy": y(m.closed),
                "label": str(int(m.month[5:])),
                "month": m,
            }
        )
    return {
        "width": W,
        "height": H,
        "left": LEFT,
        "right": W - 8,
        "base": y(0),
        "grid": [(n, y(n)) for n in range(0, top + 1, step)],
        "bars": bars,
        "line": " ".join(f"{b['cx']},{b['cy']}" for b in bars),
    }


router = Router(
    path="/",
    # Public reads only: no forms, no cookies to protect.
    opt={"policy": "public", "exclude_from_csrf": True},
    route_handlers=[
        changes_page,
        changes_api,
        changes_feed,
        stats_page,
        stats_api,
        verification_stats_api,
        stats_csv,
    ],
)
