"""The office's working-day calendar: any year in full with where each day comes from, a
correction for one day, and a whole year's official notice; each change recounts deadlines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import format_date, get_day_names
from litestar import Request, Response, Router, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect
from markupsafe import Markup, escape

from registry.accounts import auth
from registry.accounts.queries import office as oq
from registry.complaints import deadlines
from registry.infra import audit, clock
from registry.infra.i18n import ENGLISH, N_
from registry.web import inputguard, invalidation, language
from registry.web.staffpages import page, user_of
from registry.web.state import worker
from registry.web.urls import url_for
from registry.workflow import workdays
from registry.workflow.queries import deadlines as q

Req = Request[Any, Any, Any]
YEARS = range(2004, 2101)
WEEKDAYS = "一二三四五六日"
RECOUNTED = N_("已保存，%(n)s 件投诉的期限随之调整")


def _words(lang: str) -> dict[str, Any]:
    """The weekday and month names in the reader's language (Babel's, for English)."""
    if lang != ENGLISH:
        return {"weekdays": list(WEEKDAYS), "month_title": lambda y, m: f"{y} 年 {m} 月"}
    days = get_day_names("abbreviated", locale="en")
    return {
        "weekdays": [days[i] for i in range(7)],
        "month_title": lambda y, m: format_date(dt.date(y, m, 1), "MMMM y", locale="en"),
    }


def _flash(request: Req) -> dict[str, Any]:
    """?msg=recounted&n=…: how many deadlines moved, in the reader's language ("saved" and any
    other key are staffpages')."""
    if request.query_params.get("msg") != "recounted":
        return {}
    n = request.query_params.get("n", "")[:6]
    return {"flash": language.speaks(request).gettext(RECOUNTED) % {"n": n}}


def _holiday(name: str) -> Markup:
    """A holiday's name: the statutory ones through the catalogue; any other as list data."""
    said = language.gettext(name)
    return escape(said) if said != name else language.list_span(name)


async def _render(request: Req, year: int, *, status: int = 200, **form: Any) -> Response[bytes]:
    """The year's page; form: errors / notice_errors / values when a form is shown again."""
    today = clock.today()
    async with worker(request).pool.acquire() as conn:
        entries = await oq.calendar(conn)
        settled = await q.settled_years(conn)
    days = workdays.year_days(year, {e["day"]: e["workday"] for e in entries})
    watch = {today.year, year} | ({today.year + 1} if today.month >= 11 else set())
    notice = settled[year]["notice"] if year in settled else None
    words = _words(language.language_of(request))
    return page(
        request,
        "staff/office/calendar.html",
        status=status,
        year=year,
        months=_months(days),
        weekdays=words["weekdays"],
        month_titles=[words["month_title"](year, m) for m in range(1, 13)],
        holiday=_holiday,
        **_flash(request),
        # Days that are not what the weekday suggests: holidays on weekdays, 调休 weekends.
        special=[(d, info) for d, info in days if info.workday == (d.weekday() >= 5)],
        settled=settled.get(year),
        unsettled=[y for y in sorted(watch) if y not in settled],
        corrections=[e for e in entries if e["day"].year == year and e["note"] != notice],
        errors=form.get("errors", []),
        notice_errors=form.get("notice_errors", []),
        values=form.get("values", {}),
    )


def _months(days: list[tuple[dt.date, workdays.Day]]) -> list[list[list[Any]]]:
    """Each month as weeks of seven cells (None before the 1st and after the last day)."""
    months: list[list[list[Any]]] = []
    for day, info in days:
        if day.day == 1:
            months.append([[None] * day.weekday()])
        week = months[-1][-1]
        if len(week) == 7:
            week = []
            months[-1].append(week)
        week.append((day, info))
    for month in months:
        month[-1] += [None] * (7 - len(month[-1]))
    return months


@get("/calendar", name="office.calendar", opt={"policy": "supervisor"})
async def calendar(request: Req, year: FromQuery[int | None] = None) -> Response[bytes]:
    return await _render(
        request, year if year is not None and year in YEARS else clock.today().year
    )


@post(
    "/calendar",
    name="office.calendar_save",
    opt={"policy": "supervisor", inputguard.RESHOWS_FORM: True},
)
async def calendar_set(request: Req, data: URLEncodedBody[dict[str, Any]]) -> Response[Any]:
    """One day corrected (a local holiday, a late 调休 notice); running deadlines recounted."""
    values = {k: str(v).strip() for k, v in data.items()}
    try:
        day: dt.date | None = dt.date.fromisoformat(values.get("day", ""))
    except ValueError:
        day = None
    kind = values.get("kind")
    refused = inputguard.refused(request)
    if refused or day is None or day.year not in YEARS or kind not in (
        "workday", "holiday", "remove"
    ):  # fmt: skip
        tr = language.speaks(request).gettext
        error = (
            inputguard.summary(refused) if refused else tr(N_("请填写日期（YYYY-MM-DD）并选择类型"))
        )
        year = day.year if day and day.year in YEARS else clock.today().year
        return await _render(request, year, status=422, errors=[error], values=values)
    note = values.get("note", "")[:200]
    actor = user_of(request).username
    async with worker(request).pool.acquire() as conn, conn.transaction():
        before = await oq.set_override(
            conn, day, None if kind == "remove" else kind == "workday", note
        )
        await audit.record(
            conn,
            actor=actor,
            action="calendar.set",
            entity="calendar",
            entity_id=day.isoformat(),
            before=before,
            after={"kind": kind, "note": note},
        )
        moved = await deadlines.recount(
            conn,
            actor=actor,
            reason=deadlines.Cause("calendar_day", {"day": day.isoformat()}),
            public_url=worker(request).settings.public_url,
        )
    _calendar_changed(request)
    return Redirect(_back(request, day.year, moved), status_code=303)


@post(
    "/calendar/notice",
    name="office.calendar_notice",
    opt={"policy": "supervisor", inputguard.RESHOWS_FORM: True},
)
async def calendar_notice(request: Req, data: URLEncodedBody[dict[str, Any]]) -> Response[Any]:
    """A whole year's official notice: its holidays and 调休 working days; every other day of
    the year is Monday to Friday. Replaces the computed holidays and recounts deadlines."""
    values = {k: str(v).strip() for k, v in data.items()}
    tr = language.speaks(request).gettext
    errors = [inputguard.summary(r)] if (r := inputguard.refused(request)) else []
    year = int(values["year"]) if values.get("year", "").isdigit() else 0
    if year not in YEARS:
        errors.append(tr(N_("年份：请填写 2004 至 2100 之间的年份")))
        year = clock.today().year
    notice = values.get("notice", "")[:200]
    if not notice:
        errors.append(tr(N_("通知文号或标题：必填，载入后向公众说明期限依据")))
    holidays, bad_h = deadlines.parse_days(values.get("holidays", ""), year)
    working, bad_w = deadlines.parse_days(values.get("workdays", ""), year)
    if not holidays:
        errors.append(tr(N_("放假日期：请按通知填写（例如 1-1、2-5~2-11）")))
    errors += [tr(N_("放假日期：看不懂“%(text)s”")) % {"text": b} for b in bad_h]
    errors += [tr(N_("调休上班日期：看不懂“%(text)s”")) % {"text": b} for b in bad_w]
    if clash := sorted(set(holidays) & set(working)):
        errors.append(tr(N_("%(day)s 同时写在放假和上班里")) % {"day": clash[0]})
    if errors:
        return await _render(request, year, status=422, notice_errors=errors, values=values)
    async with worker(request).pool.acquire() as conn:
        moved = await deadlines.load_notice(
            conn, year=year, notice=notice, holidays=holidays, workdays=working,
            actor=user_of(request).username, public_url=worker(request).settings.public_url,
        )  # fmt: skip
    _calendar_changed(request)
    return Redirect(_back(request, year, moved), status_code=303)


def _back(request: Req, year: int, moved: list[str]) -> str:
    """Post/Redirect/Get: the year's calendar again, saying how many deadlines moved."""
    said = {"msg": "recounted", "n": len(moved)} if moved else {"msg": "saved"}
    return url_for(request, "office.calendar", {"year": year, **said})


def _calendar_changed(request: Req) -> None:
    # Deadlines use a per-worker copy; this worker drops it now, the others on NOTIFY
    # (registry_calendar_changed: the checker's indexes and the cached pages stay).
    invalidation.calendar_changed(worker(request))


router = Router(
    guards=[auth.policy_guard],  # staff pages: each handler names its policy
    include_in_schema=False,
    path="/staff",
    route_handlers=[calendar, calendar_set, calendar_notice],
)
