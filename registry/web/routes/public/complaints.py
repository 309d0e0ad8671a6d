"""The complaint form and receipt. Filing itself (registry/web/filing.py) is shared with the JSON
API; the tracking page and the complainant's rating have their own router (routes/tracking.py)."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import MediaType, Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState

from registry.catalogue.queries import departments as dq
from registry.complaints import cases
from registry.complaints.models import ComplaintIn, ContactIn, said
from registry.infra import clock
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.web import inputguard
from registry.web.client import TooManyRequests, limit
from registry.web.errors import InvalidInput, db_unreachable
from registry.web.filing import submit
from registry.web.language import speaks
from registry.web.rendering import csrf_cookie, csrf_matches, new_csrf_token, render_page
from registry.web.state import worker
from registry.web.timeline import marks
from registry.web.urls import url_for

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
        async with worker(request).pool.acquire() as conn:
            departments = await dq.list_departments(conn)
        worker(request).departments = departments
    except Exception as exc:
        if not db_unreachable(exc):
            raise
        departments = worker(request).departments or []
    # The middleware gives GET pages a token; the POST route checks its own (see create()).
    state_token = ScopeState.from_scope(request.scope).csrf_token
    fresh = False
    if csrf_token:
        token = csrf_token
    elif isinstance(state_token, str) and state_token:
        token = state_token
    else:
        token, fresh = new_csrf_token(request)
    tr = speaks(request)  # the messages as the JSON API has them (简体), in the reader's language
    errors = [FieldError(e.field, said(e.message, tr)) for e in errors]
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
        message=tr.gettext(message) if message else "",
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


@get("/complaints/new", name="public.complaint_new")
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
        async with worker(request).pool.acquire() as conn:
            dep = await dq.get_department(conn, department)
        values["department"] = dep.code if dep else "other"
        values["department_other"] = "" if dep else department[:100]
    return await render_form(request, values, [])


# CSRF is checked here rather than by the middleware, so a stale page loses nothing typed.
@post(
    "/complaints",
    name="public.complaint_create",
    opt={"exclude_from_csrf": True, inputguard.RESHOWS_FORM: True},
)
async def create(
    request: Req,
    data: URLEncodedBody[dict[str, Any]],
) -> Response[Any]:
    """Post/Redirect/Get; on any problem the form comes back with everything typed."""
    form = {k: str(v) for k, v in data.items() if k in (*FORM_FIELDS, "form_token")}
    if not csrf_matches(request, str(data.get("_csrf_token", ""))):
        msg = N_("页面已过期或浏览器禁用了 Cookie，请再点一次“提交”。您填写的内容都还在。")
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
        msg = N_("提交太频繁，请过几分钟再提交。您填写的内容已保留。")
        return await render_form(request, form, [], status=429, message=msg)
    except Exception as exc:
        if not db_unreachable(exc):
            raise
        msg = N_("系统暂时无法保存您的投诉，请稍后再点“提交”。您填写的内容都还在。")
        return await render_form(request, form, [], status=503, message=msg)
    cookie = Cookie(
        key=RECEIPT_COOKIE,
        value=f"{receipt.reference}.{receipt.access_code}",
        path="/complaints",
        max_age=900,
        httponly=True,
        samesite="strict",
        secure=worker(request).settings.secure_cookies,
    )
    url = url_for(request, "public.complaint_receipt", reference=receipt.reference)
    return Redirect(url, status_code=303, cookies=[cookie])


@get("/complaints/{reference:str}/receipt", name="public.complaint_receipt")
async def receipt(request: Req, reference: FromPath[str]) -> Response[bytes]:
    """The reference and access code, shown on this visit only (from a short-lived cookie,
    whose code counts against the tracking limit like a typed one)."""
    ref, _, code = request.cookies.get(RECEIPT_COOKIE, "").partition(".")
    complaint = None
    if ref == reference and code:
        async with worker(request).pool.acquire() as conn:
            try:
                await limit(request, "track", worker(request).settings.tracking_limit, conn)
                complaint = await cases.track(
                    conn, reference, code, speaks(request), marks(request)
                )
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
    route_handlers=[new, create, receipt],
)
