"""Data functions: each HTML page and its JSON twin call the same one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import msgspec
from litestar.exceptions import HTTPException

from registry.catalogue.models import (
    REPLACEMENT_KINDS,
    CertificateDetail,
    CertificatePage,
    Department,
    ListFilters,
    Status,
)
from registry.catalogue.queries import certificates as q
from registry.catalogue.queries import departments as dq
from registry.checker.decide import MatterGuide, Question, Verdict
from registry.checker.lookup import Busy, ClientBusy, Lookup
from registry.checker.pastdates import RETRY_AFTER_S
from registry.checker.textnorm import simplify
from registry.infra import clock
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.web.errors import InvalidInput, NotFound
from registry.web.state import Worker, worker

MAX_PER_PAGE = 200


def parse_filters(
    *,
    status: str | None = None,
    q: str | None = None,
    department: str | None = None,
    domain: str | None = None,
    replacement: str | None = None,
    kind: str | None = None,
    on: str | None = None,
    page: str | None = None,
    per_page: str | None = None,
) -> ListFilters:
    """Query-string text to filters; empty means 'not given'; every bad field is reported."""
    errors: list[FieldError] = []
    st = None
    if status:
        try:
            st = Status(status)
        except ValueError:
            errors.append(FieldError("status", "应为 retained（保留）或 abolished（取消）"))
    kind = (kind or "").strip() or None
    if kind and kind not in REPLACEMENT_KINDS:
        errors.append(FieldError("kind", BAD_KIND % {"kinds": " | ".join(REPLACEMENT_KINDS)}))
    day = parse_day(on, errors)
    page_n = _int(page, "page", 1, 1, 1_000_000, errors)
    per = _int(per_page, "per_page", 50, 1, MAX_PER_PAGE, errors)
    if errors:
        raise InvalidInput(errors)
    return ListFilters(
        status=st,
        q=_clean(q),
        department=_clean(department),
        domain=_clean(domain),
        replacement=_clean(replacement),
        kind=kind,
        on=day,
        page=page_n,
        per_page=per,
    )


def parse_day(text: str | None, errors: list[FieldError]) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(FieldError("on", BAD_DAY))
        return None


def _int(
    text: str | None, field: str, default: int, lo: int, hi: int, errors: list[FieldError]
) -> int:
    if not text:
        return default
    try:
        n = int(text)
    except ValueError:
        n = lo - 1
    if not lo <= n <= hi:
        errors.append(FieldError(field, f"应为 {lo} 到 {hi} 之间的整数"))
        return default
    return n


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text[:200] or None


async def certificate_page(
    conn: asyncpg.Connection, f: ListFilters, codes: list[str] | None = None
) -> CertificatePage:
    """One page of the list; `codes` (search_codes()) make q also find Traditional, pinyin and
    alias spellings."""
    on = f.on or clock.today()
    department = f.department
    if department:
        dep = await dq.get_department(conn, department)
        department = dep.name if dep else department
    items, total = await q.list_certificates(
        conn,
        on=on,
        status=f.status,
        q=simplify(f.q) if f.q else None,
        codes=codes if f.q else None,
        department=department,
        domain=f.domain,
        replacement=f.replacement,
        kind=f.kind,
        limit=f.per_page,
        offset=(f.page - 1) * f.per_page,
    )
    return CertificatePage(items=items, total=total, page=f.page, per_page=f.per_page)


async def certificate_detail(
    conn: asyncpg.Connection, code: str, on: dt.date | None = None
) -> CertificateDetail:
    """The item as in force on the date; an item not in force then still shows its history."""
    cert = await q.get_certificate(conn, code, on=on or clock.today())
    if cert is None:
        cert = await q.get_latest(conn, code)
    if cert is None:
        raise NotFound(N_("没有编号为 %(code)s 的证明事项"), code=code[:40])
    history = await q.history(conn, code)
    return CertificateDetail(
        **{f: getattr(cert, f) for f in cert.__struct_fields__}, history=history
    )


MAX_NAME = 100
# A question's field errors: the JSON API says them in Chinese, pages in the reader's language
# (the check page through the reader's catalogue, error pages through errors.handle).
NO_NAME = N_("请输入被要求提供的证明名称")
NAME_TOO_LONG = N_("证明名称不能超过 100 个字")
TOO_LONG = N_("不能超过 100 个字")
NO_MATTER = N_("请给出办理事项的名称")
BAD_DAY = N_("日期格式应为 YYYY-MM-DD")
BAD_KIND = N_("办理方式类型应为 %(kinds)s 之一")
assert f"{MAX_NAME} 个字" in NAME_TOO_LONG and f"{MAX_NAME} 个字" in TOO_LONG


def parse_question(
    name: str | None = None,
    matter: str | None = None,
    department: str | None = None,
    on: str | None = None,
) -> tuple[Question, dt.date | None]:
    """Query-string text to a checker question; the name is the only required field. The one
    parser of a question: the check routes call it with their parameters, the answer door
    (door.py) with the query string's, named as these arguments are."""
    errors: list[FieldError] = []
    name = (name or "").strip()
    if not name:
        errors.append(FieldError("name", NO_NAME))
    elif len(name) > MAX_NAME:
        errors.append(FieldError("name", NAME_TOO_LONG))
    for field, value in (("matter", matter), ("department", department)):
        if value and len(value) > MAX_NAME:
            errors.append(FieldError(field, TOO_LONG))
    day = parse_day(on, errors)
    if errors:
        raise InvalidInput(errors)
    question = Question(
        name=name,
        matter=_clean(matter),
        department=_clean(department),
        on=day.isoformat() if day else None,  # carried into the links the answer offers
    )
    return question, day


async def check(
    pool: Any, lookup: Lookup, question: Question, on: dt.date | None, client: str = ""
) -> Verdict:
    """`client` (its address) bounds how many questions about other dates it has waiting. The
    verdict carries its words in Chinese too (explanation, next_step: the JSON API's)."""
    try:
        found = await lookup.verdict(pool, question, on, client)
    except Busy as exc:
        raise _busy(exc) from exc
    return found.spoken()


async def search_codes(request: Any, f: ListFilters, client: str = "") -> list[str] | None:
    """The codes a list search means (None without q); other dates are bounded as in check()."""
    if not f.q:
        return None
    lookup = worker(request).lookup
    try:
        return await lookup.search(worker(request).pool, f.q, f.on, client)
    except Busy as exc:
        raise _busy(exc) from exc


# ---------------------------------------------------------------- the matter guide


class MatterList(msgspec.Struct, kw_only=True):
    """GET /api/v1/matters and the /matters page: the official matters the words mean."""

    q: str
    matters: list[MatterGuide]


def parse_matter_query(q: str | None, on: str | None) -> tuple[str, dt.date | None]:
    """Query-string text to a matter search; blank q means every matter on the list."""
    errors: list[FieldError] = []
    text = (q or "").strip()
    if len(text) > MAX_NAME:
        errors.append(FieldError("q", TOO_LONG))
    day = parse_day(on, errors)
    if errors:
        raise InvalidInput(errors)
    return text, day


def parse_matter_name(name: str | None, on: str | None) -> tuple[str, dt.date | None]:
    """Query-string text to one official matter (as the list writes it): required."""
    errors: list[FieldError] = []
    text = (name or "").strip()
    if not text:
        errors.append(FieldError("name", NO_MATTER))
    elif len(text) > MAX_NAME:
        errors.append(FieldError("name", TOO_LONG))
    day = parse_day(on, errors)
    if errors:
        raise InvalidInput(errors)
    return text, day


async def matters(
    pool: Any, lookup: Lookup, text: str, on: dt.date | None, client: str = ""
) -> MatterList:
    """The matter search; other dates are bounded as in check()."""
    try:
        found = await lookup.guide(pool, text, on, client)
    except Busy as exc:
        raise _busy(exc) from exc
    return MatterList(q=text, matters=[g.spoken() for g in found])


async def matter(
    pool: Any, lookup: Lookup, name: str, on: dt.date | None, client: str = ""
) -> MatterGuide:
    """One official matter's guide; NotFound when the list in force has no such matter."""
    try:
        found = await lookup.matter(pool, name, on, client)
    except Busy as exc:
        raise _busy(exc) from exc
    if found is None:
        raise NotFound(N_("清单上没有“%(name)s”这个办理事项"), name=name[:40])
    return found.spoken()


async def departments(kept: Worker) -> list[Department]:
    """Departments for the verdict page's "who asked" select: the complaint form's list, kept
    per worker until the departments change (invalidation.departments_changed drops it)."""
    found = kept.departments
    if found is None:
        async with kept.pool.acquire() as conn:
            found = kept.departments = await dq.list_departments(conn)
    return found


def _busy(exc: Busy) -> HTTPException:
    retry = {"retry-after": str(RETRY_AFTER_S)}
    if isinstance(exc, ClientBusy):
        return HTTPException(status_code=429, detail=CLIENT_BUSY, headers=retry)
    return HTTPException(status_code=503, headers=retry)


CLIENT_BUSY = "您查询其他日期的问题还在处理中，请等前面的结果出来后再查"
