"""告知承诺 for citizens: an item's commitment form (printable, with a QR code to itself), signing
it online for a window and a matter, the receipt with its reference, and the public figures."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from litestar import MediaType, Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState

from registry.catalogue.queries import certificates as cq
from registry.catalogue.queries import departments as dq
from registry.commitments.models import METHOD_LABELS, mask_id, mask_name, validate_sign
from registry.commitments.queries import forms as fq
from registry.commitments.queries import signed as sq
from registry.complaints.queries.stats import MIN_CASES
from registry.infra import clock
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.web import inputguard
from registry.web.client import TooManyRequests, limit
from registry.web.errors import db_unreachable
from registry.web.language import speaks
from registry.web.paper import qr_svg
from registry.web.rendering import csrf_cookie, csrf_matches, new_csrf_token, render_page
from registry.web.state import worker
from registry.web.urls import absolute, url_for
from registry.workflow.queries import deadlines as dl
from registry.workflow.workdays import add_workdays

Req = Request[Any, Any, Any]
FIELDS = ("department", "matter", "name", "id_number", "phone", "pledge")
RECEIPT_COOKIE = "commitment_receipt"
QR_FORM = N_("二维码：这份承诺书在网上的页面")


def _html(html: str, status: int = 200, *, no_store: bool = False) -> Response[bytes]:
    headers = {"cache-control": "no-store"} if no_store else {}
    return Response(html.encode(), status_code=status, media_type=MediaType.HTML, headers=headers)


async def _form_or_404(conn: Any, code: str) -> Any:
    form = await fq.current(conn, code[:40], clock.today())
    if form is None:
        raise NotFoundException()
    return form


class NoForm(Exception):
    """A listed item without a commitment form in force: said plainly, not a bare 404."""

    def __init__(self, item: Any) -> None:
        self.item = item


async def _form_of(conn: Any, code: str) -> Any:
    form = await fq.current(conn, code[:40], clock.today())
    if form is None:
        item = await cq.get_latest(conn, code[:40])
        if item is None:
            raise NotFoundException()
        raise NoForm(item)
    return form


def _no_form(request: Req, item: Any) -> Response[bytes]:
    return _html(render_page(request, "commitments/none.html", item=item))


@get("/certificates/{code:str}/commitment", name="public.commitment_form")
async def commitment_form(request: Req, code: FromPath[str]) -> Response[bytes]:
    """The 承诺书 in force today, one A4 page in print."""
    try:
        async with worker(request).pool.acquire() as conn:
            form = await _form_of(conn, code)
    except NoForm as none:
        return _no_form(request, none.item)
    permalink = absolute(request, url_for(request, "public.commitment_form", code=form.code))
    html = render_page(
        request,
        "commitments/form.html",
        form=form,
        method_labels=METHOD_LABELS,
        permalink=permalink,
        qr=qr_svg(permalink, speaks(request).gettext(QR_FORM)),
    )
    return _html(html)


def _receipt_mac(request: Req, reference: str) -> str:
    secret = worker(request).settings.secret_key.encode()
    return hmac.new(secret, f"commitment:{reference}".encode(), hashlib.sha256).hexdigest()[:32]


async def _render_sign(
    request: Req,
    code: str,
    values: dict[str, str],
    errors: list[FieldError],
    status: int = 200,
    message: str = "",
) -> Response[bytes]:
    """The signing form with what was typed and every field's error (in the reader's language)."""
    async with worker(request).pool.acquire() as conn:
        form = await _form_or_404(conn, code)
        departments = await dq.list_departments(conn)
    state_token = ScopeState.from_scope(request.scope).csrf_token
    fresh = False
    if isinstance(state_token, str) and state_token:
        token = state_token
    else:
        token, fresh = new_csrf_token(request)
    tr = speaks(request)
    shown = [FieldError(e.field, tr.gettext(e.message)) for e in errors]
    by_field: dict[str, list[str]] = {}
    for e in shown:
        by_field.setdefault(e.field, []).append(e.message)
    html = render_page(
        request,
        "commitments/sign.html",
        form=form,
        values=values,
        errors=shown,
        field_errors=by_field,
        departments=departments,
        message=tr.gettext(message) if message else "",
        csrf_token=token,
    )
    response = _html(html, status, no_store=True)
    if fresh:
        response.set_cookie(csrf_cookie(request, token))
    return response


@get("/certificates/{code:str}/commitment/sign", name="public.commitment_sign_form")
async def sign_form(
    request: Req,
    code: FromPath[str],
    department: FromQuery[str | None] = None,
    matter: FromQuery[str | None] = None,
) -> Response[bytes]:
    values = {"department": (department or "")[:40], "matter": (matter or "")[:100]}
    try:
        async with worker(request).pool.acquire() as conn:
            await _form_of(conn, code)
    except NoForm as none:
        return _no_form(request, none.item)
    return await _render_sign(request, code, values, [])


# CSRF is checked here rather than by the middleware, so a stale page loses nothing typed.
@post(
    "/certificates/{code:str}/commitment/sign",
    name="public.commitment_sign",
    opt={"exclude_from_csrf": True, inputguard.RESHOWS_FORM: True},
)
async def sign(
    request: Req, code: FromPath[str], data: URLEncodedBody[dict[str, Any]]
) -> Response[Any]:
    """Post/Redirect/Get to the receipt; any problem brings the form back with its input."""
    values = {k: str(v)[:200] for k, v in data.items() if k in FIELDS}
    if not csrf_matches(request, str(data.get("_csrf_token", ""))):
        msg = N_("页面已过期或浏览器禁用了 Cookie，请再点一次“签署承诺”。您填写的内容都还在。")
        return await _render_sign(request, code, values, [], status=403, message=msg)
    if refused := inputguard.refused(request):
        return await _render_sign(request, code, values, refused, status=422)
    settings = worker(request).settings
    refusal: list[FieldError] = []
    try:
        async with worker(request).pool.acquire() as conn:
            form = await _form_or_404(conn, code)
            await limit(request, "commitment", settings.filing_limit, conn)
            departments = {d.code for d in await dq.list_departments(conn)}
            result = validate_sign(values, departments)
            if isinstance(result, list):
                refusal = result
            else:
                now = clock.now()
                overrides = await dl.calendar_overrides(conn)
                due = add_workdays(now.date(), form.check_days, overrides)
                reference = await sq.sign(
                    conn, form_id=form.id, code=form.code, signer=result, signed_at=now,
                    check_due=due,
                )  # fmt: skip
    except TooManyRequests:
        msg = N_("提交太频繁，请过几分钟再提交。您填写的内容已保留。")
        return await _render_sign(request, code, values, [], status=429, message=msg)
    except NotFoundException:
        raise
    except Exception as exc:
        if not db_unreachable(exc):
            raise
        msg = N_("系统暂时无法保存，请稍后再点“签署承诺”。您填写的内容都还在。")
        return await _render_sign(request, code, values, [], status=503, message=msg)
    if refusal:  # the form again, outside the connection (a pool of one in tests)
        return await _render_sign(request, code, values, refusal, status=422)
    cookie = Cookie(
        key=RECEIPT_COOKIE,
        value=f"{reference}.{_receipt_mac(request, reference)}",
        path="/commitments",
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )
    url = url_for(request, "public.commitment_receipt", reference=reference)
    return Redirect(url, status_code=303, cookies=[cookie])


@get("/commitments/{reference:str}/receipt", name="public.commitment_receipt")
async def receipt(request: Req, reference: FromPath[str]) -> Response[bytes]:
    """Only for the browser that signed (a signed cookie): the reference to show the clerk."""
    ref, _, mac = request.cookies.get(RECEIPT_COOKIE, "").partition(".")
    if ref != reference or not hmac.compare_digest(mac, _receipt_mac(request, reference)):
        # Another browser (or later): the reference as typed, nothing looked up.
        html = render_page(request, "commitments/receipt.html", c=None, reference=reference[:40])
        return _html(html, no_store=True)
    async with worker(request).pool.acquire() as conn:
        signed = await sq.get(conn, reference, None)
    if signed is None:
        raise NotFoundException()
    signer = f"{mask_name(signed.name)}　{mask_id(signed.id_number)}"
    html = render_page(
        request, "commitments/receipt.html", c=signed, signer=signer, reference=reference
    )
    return _html(html, no_store=True)


@get("/stats/commitments", name="public.commitment_stats")
async def stats(request: Req) -> Response[bytes]:
    """Per item: signed, the share checked and the share found untrue; only items with at
    least the complaints' minimum volume (MIN_CASES)."""
    async with worker(request).pool.acquire() as conn:
        items = await sq.item_figures(conn, MIN_CASES)
        signed, checked, untrue = await sq.totals(conn)
    html = render_page(
        request,
        "commitments/stats.html",
        items=items,
        signed=signed,
        checked=checked,
        untrue=untrue,
        min_cases=MIN_CASES,
    )
    return _html(html)


router = Router(
    include_in_schema=False,
    path="/",
    opt={"policy": "public"},
    route_handlers=[commitment_form, sign_form, sign, receipt, stats],
)
