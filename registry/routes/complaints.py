"""The complaint form and receipt; submit() also serves the JSON API. The tracking page and the
complainant's rating (routes/tracking.py) are served by this module's router."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from litestar import MediaType, Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState

from registry import clock, complaints, inputguard, views
from registry.checker import Question
from registry.errors import InvalidInput, db_unreachable
from registry.lookup import Lookup
from registry.models import ComplaintIn, ContactIn, FieldError, Receipt
from registry.queries import complaints as cq
from registry.queries import departments as dq
from registry.routes.client import TooManyRequests, client_address, limit
from registry.routes.tracking import rate, track, track_form
from registry.settings import Settings
from registry.web import csrf_cookie, csrf_matches, new_csrf_token, render_page
from registry.workdays import Overrides

Req = Request[Any, Any, Any]
FORM_FIELDS = (
    "department",
    "department_other",
    "certificate_name",
    "matter",
    "demanded_on",
    "place",
    "description",
    "disclosure",
    "contact_name",
    "contact_phone",
    "contact_email",
)
RECEIPT_COOKIE = "receipt"


async def department_codes(request: Req) -> set[str]:
    """Department codes, kept per worker until the list changes (they change with it)."""
    codes: set[str] | None = request.app.state.get("department_codes")
    if codes is None:
        async with request.app.state.pool.acquire() as conn:
            codes = {d.code for d in await dq.list_departments(conn)}
        request.app.state.department_codes = codes
    return codes


async def deadlines(request: Req, today: dt.date) -> tuple[dt.date, dt.date]:
    """Today's (accept by, reply by), worked out once a day per worker from the office's
    calendar corrections, which are kept until the calendar changes (NOTIFY)."""
    state = request.app.state
    overrides: Overrides | None = state.get("calendar_overrides")
    if overrides is None:
        async with state.pool.acquire() as conn:
            overrides = await cq.calendar_overrides(conn)
        state.calendar_overrides = overrides
        state.deadlines = None  # worked out from the calendar just replaced
    cached: tuple[dt.date, tuple[dt.date, dt.date]] | None = state.get("deadlines")
    if cached is None or cached[0] != today:
        cached = state.deadlines = (today, complaints.deadlines(today, overrides))
    return cached[1]


async def submit(request: Req, raw: ComplaintIn, key: str | None) -> tuple[Receipt, bool]:
    """Validate, classify against the list in force on the demand date, file once. A valid
    filing is counted against the client's rate limit in the filing statement itself (an exact
    replay of an earlier filing is answered there, limit or not, and counts nothing); an
    invalid one is counted on its own, so invalid submissions are limited too."""
    settings: Settings = request.app.state.settings
    pool = request.app.state.pool
    result = complaints.validate(raw, await department_codes(request), clock.today())
    if isinstance(result, list):
        await limit(request, "file", settings.filing_limit)
        raise InvalidInput(result, status=422)
    # Classified against the list in force on the demand date; on a large list another date is
    # answered by the worker's child process, never by loading that index here.
    question = Question(name=result.certificate_name, matter=result.matter)
    lookup: Lookup = request.app.state.lookup
    verdict = await views.check(pool, lookup, question, result.demanded_on, client_address(request))
    hits, window = settings.filing_limit
    rate = (f"file:{client_address(request)}", hits, window)
    due = await deadlines(request, clock.today())
    async with pool.acquire() as conn:
        try:
            return await complaints.file_complaint(
                conn,
                result,
                verdict,
                key=key,
                secret=settings.secret_key,
                rate=rate,
                due=due,
                public_url=settings.public_url,
            )
        except complaints.RateLimited as exc:
            raise TooManyRequests(headers={"retry-after": str(exc.retry_after)}) from exc
        except complaints.IdempotencyConflict as exc:
            raise InvalidInput(
                [FieldError("Idempotency-Key", "这个幂等键已用于另一份不同的投诉")], status=422
            ) from exc


def form_to_input(form: dict[str, str]) -> ComplaintIn:
    contact = ContactIn(
        name=form.get("contact_name"),
        phone=form.get("contact_phone"),
        email=form.get("contact_email"),
    )
    return ComplaintIn(
        **{f: form.get(f) for f in FORM_FIELDS if not f.startswith("contact_")},
        contact=contact,
    )


async def render_form(
    request: Req,
    values: dict[str, str],
    errors: list[FieldError],
    status: int = 200,
    message: str = "",
    csrf_token: str | None = None,
) -> Response[bytes]:
    """The form with the person's input; it still renders when the database is down."""
    try:
        async with request.app.state.pool.acquire() as conn:
            departments = await dq.list_departments(conn)
        request.app.state.departments = departments
    except Exception as exc:
        if not db_unreachable(exc):
            raise
        departments = request.app.state.get("departments", [])
    # The middleware gives GET pages a token; the POST route checks its own (see create()).
    state_token = ScopeState.from_scope(request.scope).csrf_token
    fresh = False
    if csrf_token:
        token = csrf_token
    elif isinstance(state_token, str) and state_token:
        token = state_token
    else:
        token, fresh = new_csrf_token(request)
    by_field: dict[str, list[str]] = {}
    for e in errors:
        by_field.setdefault(e.field.replace("contact.", "contact_"), []).append(e.message)
    html = render_page(
        request,
        "complaints/new.html",
        values=values,
        errors=errors,
        field_errors=by_field,
        departments=departments,
        message=message,
        today=clock.today(),
        csrf_token=token,
    )
    headers = {"retry-after": "30"} if status == 503 else {}
    response = Response(
        html.encode(), status_code=status, media_type=MediaType.HTML, headers=headers
    )
    if fresh:
        response.set_cookie(csrf_cookie(request, token))
    return response


@get("/complaints/new", name="complaints.new")
async def new(
    request: Req,
    certificate_name: FromQuery[str | None] = None,
    matter: FromQuery[str | None] = None,
    department: FromQuery[str | None] = None,
) -> Response[bytes]:
    """The form, prefilled from a verdict; a fresh one-time token makes resubmits harmless."""
    values = {
        "certificate_name": (certificate_name or "")[:100],
        "matter": (matter or "")[:100],
        "form_token": secrets.token_urlsafe(16),
        "disclosure": "confidential",
        "demanded_on": clock.today().isoformat(),
    }
    if department:
        async with request.app.state.pool.acquire() as conn:
            dep = await dq.get_department(conn, department)
        values["department"] = dep.code if dep else "other"
        values["department_other"] = "" if dep else department[:100]
    return await render_form(request, values, [])


# CSRF is checked here rather than by the middleware, so a stale page loses nothing typed.
@post(
    "/complaints",
    name="complaints.create",
    opt={"exclude_from_csrf": True, inputguard.RESHOWS_FORM: True},
)
async def create(
    request: Req,
    data: URLEncodedBody[dict[str, Any]],
) -> Response[Any]:
    """Post/Redirect/Get; on any problem the form comes back with everything typed."""
    form = {k: str(v) for k, v in data.items() if k in (*FORM_FIELDS, "form_token")}
    if not csrf_matches(request, str(data.get("_csrf_token", ""))):
        msg = "页面已过期或浏览器禁用了 Cookie，请再点一次“提交”。您填写的内容都还在。"
        return await render_form(request, form, [], status=403, message=msg)
    if refused := inputguard.refused(request):  # control characters, already removed
        return await render_form(request, form, refused, status=422)
    token = form.get("form_token") or ""
    # The page's token is 22 random characters; a short one would be guessable (see KEY_RE).
    key = f"form:{token}" if 16 <= len(token) <= 64 else None
    try:
        receipt, _ = await submit(request, form_to_input(form), key)
    except InvalidInput as exc:
        return await render_form(request, form, exc.errors, status=exc.status)
    except TooManyRequests:
        msg = "提交太频繁，请过几分钟再提交。您填写的内容已保留。"
        return await render_form(request, form, [], status=429, message=msg)
    except Exception as exc:
        if not db_unreachable(exc):
            raise
        msg = "系统暂时无法保存您的投诉，请稍后再点“提交”。您填写的内容都还在。"
        return await render_form(request, form, [], status=503, message=msg)
    cookie = Cookie(
        key=RECEIPT_COOKIE,
        value=f"{receipt.reference}.{receipt.access_code}",
        path="/complaints",
        max_age=900,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
    )
    return Redirect(f"/complaints/{receipt.reference}/receipt", status_code=303, cookies=[cookie])


@get("/complaints/{reference:str}/receipt", name="complaints.receipt")
async def receipt(request: Req, reference: FromPath[str]) -> Response[bytes]:
    """The reference and access code, shown on this visit only (from a short-lived cookie,
    whose code counts against the tracking limit like a typed one)."""
    ref, _, code = request.cookies.get(RECEIPT_COOKIE, "").partition(".")
    complaint = None
    if ref == reference and code:
        async with request.app.state.pool.acquire() as conn:
            try:
                await limit(request, "track", request.app.state.settings.tracking_limit, conn)
                complaint = await complaints.track(conn, reference, code)
            except TooManyRequests:
                complaint = None
    html = render_page(
        request,
        "complaints/receipt.html",
        reference=reference,
        access_code=code if complaint else "",
        complaint=complaint,
    )
    return Response(html.encode(), media_type=MediaType.HTML, headers={"cache-control": "no-store"})


router = Router(
    include_in_schema=False,
    path="/",
    opt={"policy": "public"},
    route_handlers=[new, create, receipt, track_form, track, rate],
)
