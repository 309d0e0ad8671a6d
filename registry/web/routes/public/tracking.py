"""The tracking page, and the complainant's own satisfaction rating from it (the reference and
access code are the credential)."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState

from registry.complaints import cases, workflow
from registry.complaints.models import ComplaintPublic, said
from registry.infra.i18n import N_
from registry.web import inputguard
from registry.web.client import TooManyRequests, limit
from registry.web.language import speaks
from registry.web.rendering import render_page
from registry.web.state import worker
from registry.web.timeline import marks
from registry.web.urls import url_for

Req = Request[Any, Any, Any]
# After a rating, the tracking page shows the complaint again for a while without the code typed
# anew: reference.code, like the receipt cookie, sent only to the tracking page.
TRACKED_COOKIE = "tracked"
TRACK_PATH = "/complaints/track"


def track_page(
    request: Req,
    *,
    reference: str = "",
    complaint: ComplaintPublic | None = None,
    error: str = "",
    status: int = 200,
    **extra: Any,
) -> Response[bytes]:
    """The tracking page: the form, or a complaint with its rating form; never cached. Messages
    (as the code and the JSON API have them, in 简体) are shown in the reader's language."""
    tr = speaks(request)
    extra["field_errors"] = {
        f: [said(m, tr) for m in messages] for f, messages in extra.get("field_errors", {}).items()
    }
    html = render_page(
        request,
        "complaints/track.html",
        reference=reference,
        complaint=complaint,
        error=said(error, tr) if error else "",
        csrf_token=ScopeState.from_scope(request.scope).csrf_token or "",
        satisfaction=workflow.SATISFACTION,
        unsatisfied=workflow.UNSATISFIED,
        comment_limit=workflow.COMMENT_LIMIT,
        **{"values": {}, "field_errors": {}, "access_code": "", "done": "", **extra},
    )
    return Response(
        html.encode(),
        status_code=status,
        media_type=MediaType.HTML,
        headers={"cache-control": "no-store"},
    )


@get(TRACK_PATH, name="public.track_form")
async def track_form(
    request: Req, reference: FromQuery[str | None] = None, done: FromQuery[str | None] = None
) -> Response[bytes]:
    """The form, prefilled from an e-mail's link; the complaint itself just after a rating.
    A cookie's code is checked like a typed one, so it counts against the same limit."""
    reference = (reference or "")[:40]
    ref, _, code = request.cookies.get(TRACKED_COOKIE, "").partition(".")
    if reference and ref == reference and code:
        async with worker(request).pool.acquire() as conn:
            try:
                await limit(request, "track", worker(request).settings.tracking_limit, conn)
            except TooManyRequests:
                error = N_("查询太频繁，请过几分钟再试。")
                return track_page(request, reference=reference, error=error, status=429)
            complaint = await cases.track(conn, reference, code, speaks(request), marks(request))
        if complaint is not None:
            return track_page(
                request,
                reference=reference,
                complaint=complaint,
                access_code=code,
                done="rated" if done == "rated" else "",
            )
    return track_page(request, reference=reference)


@post(TRACK_PATH, name="public.track")
async def track(
    request: Req,
    data: URLEncodedBody[dict[str, Any]],
) -> Response[bytes]:
    """POST so the access code stays out of URLs, logs and Referer headers."""
    reference = str(data.get("reference", ""))[:40].strip()
    code = str(data.get("access_code", ""))[:40]
    status, error, complaint = 200, "", None
    try:
        await limit(request, "track", worker(request).settings.tracking_limit)
        async with worker(request).pool.acquire() as conn:
            complaint = await cases.track(conn, reference, code, speaks(request), marks(request))
        if complaint is None:
            status, error = 404, N_("查询编号或查询码不正确，请核对后再试。")
    except TooManyRequests:
        status, error = 429, N_("查询太频繁，请过几分钟再试。")
    return track_page(
        request,
        reference=reference,
        complaint=complaint,
        error=error,
        status=status,
        access_code=code if complaint else "",
    )


@post(
    "/complaints/rate",
    name="public.rate",
    opt={inputguard.RESHOWS_FORM: True},
)
async def rate(request: Req, data: URLEncodedBody[dict[str, Any]]) -> Response[Any]:
    """The complainant's satisfaction with a closing, once per closing, with the reference and
    access code (rate-limited like tracking); an unsatisfied level reopens the case once."""
    reference = str(data.get("reference", ""))[:40].strip()
    code = str(data.get("access_code", ""))[:40]
    form = {k: str(data.get(k, "")) for k in ("satisfaction", "comment")}
    tr = speaks(request)
    try:
        await limit(request, "track", worker(request).settings.tracking_limit)
    except TooManyRequests:
        return track_page(request, reference=reference, error=N_("操作太频繁，请过几分钟再试。"),
                          status=429)  # fmt: skip
    async with worker(request).pool.acquire() as conn:
        row = await cases.find(conn, reference, code)
        if row is None:
            error = N_("查询编号或查询码不正确，请核对后再试。")
            return track_page(request, reference=reference, error=error, status=404)
        errors = inputguard.refused(request)
        status, error = 422, inputguard.summary(errors)
        if not errors:
            try:
                await workflow.complainant_follow_up(
                    conn, row["id"], form=form, public_url=worker(request).settings.public_url
                )
                return _rated(request, row["reference"], code)
            except workflow.Stale:
                status, error = 409, N_("这件投诉的办理状态刚刚有了变化，请看下面的最新情况。")
            except workflow.Invalid as exc:
                errors, error = exc.errors, "；".join(said(e.message, tr) for e in exc.errors)
        complaint = await cases.track(conn, reference, code, speaks(request), marks(request))
    by_field = {e.field: [e.message] for e in errors}
    return track_page(
        request,
        reference=reference,
        complaint=complaint,
        error=error,
        status=status,
        access_code=code,
        values=form,
        field_errors=by_field,
    )


def _rated(request: Req, reference: str, code: str) -> Redirect:
    """Post/Redirect/Get: the tracking page shows the complaint from a short-lived cookie."""
    cookie = Cookie(
        key=TRACKED_COOKIE,
        value=f"{reference}.{code}",
        path=TRACK_PATH,
        max_age=900,
        httponly=True,
        samesite="strict",
        secure=worker(request).settings.secure_cookies,
    )
    url = url_for(request, "public.track_form", {"reference": reference, "done": "rated"})
    return Redirect(url, status_code=303, cookies=[cookie])


router = Router(
    include_in_schema=False,
    path="/",
    opt={"policy": "public"},
    route_handlers=[track_form, track, rate],
)
