"""The staff workspace: login, the complaint queue, a complaint's detail and its actions."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect

from registry.accounts import auth
from registry.accounts.models import Role, StaffUser
from registry.catalogue.queries import certificates as cq
from registry.catalogue.queries import departments as dq
from registry.complaints import workflow
from registry.complaints.events import staff_entry
from registry.complaints.models import Classification, ComplaintStatus, said
from registry.complaints.queries import complaints as q
from registry.infra import audit, clock, ratelimit
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_, Translations
from registry.verification.models import STATUS_LABELS
from registry.verification.queries import stats as vs
from registry.verification.service import to_model
from registry.web import inputguard
from registry.web.client import client_address
from registry.web.language import speaks
from registry.web.rendering import csrf_cookie
from registry.web.staffpages import page, page_number, user_of
from registry.web.state import worker
from registry.web.timeline import marks
from registry.web.urls import url_for

Req = Request[Any, Any, Any]
PAGE = 50


def scope_of(user: StaffUser) -> str | None:
    """A department sees only complaints routed to it; the office sees all."""
    return user.department_code if user.role is Role.DEPARTMENT else None


def session_cookie(request: Req, value: str, max_age: int | None) -> Cookie:
    return Cookie(
        key=auth.COOKIE,
        value=value,
        path="/",
        httponly=True,
        samesite="strict",
        secure=worker(request).settings.secure_cookies,
        max_age=max_age,
    )


@get("/login", name="staff.login_form", opt={"policy": "public"})
async def login_form(
    request: Req, next_: Annotated[str | None, QueryParameter(name="next")] = None
) -> Response[bytes]:
    return page(request, "staff/login.html", next=_safe_next(next_), error="", username="")


def _safe_next(target: str | None) -> str:
    """Only our own staff pages: never an open redirect."""
    return target if target and target.startswith("/staff/") and "//" not in target else "/staff/"


def _wait_text(seconds: int, tr: Translations) -> str:
    if seconds < 120:
        return tr.ngettext("%(n)s 秒", "%(n)s 秒", seconds) % {"n": seconds}
    minutes = (seconds + 59) // 60
    return tr.ngettext("约 %(n)s 分钟", "约 %(n)s 分钟", minutes) % {"n": minutes}


LOGIN_REFUSED = {
    "rate": N_("登录尝试过于频繁，请在{wait}后再试。"),
    "address": N_("此账户在您当前的网络地址连续登录失败次数过多，请在{wait}后再试。"),
    "account": N_("此账户近期在多处登录失败，登录已放慢，请在{wait}后再试。"),
}
WRONG_LOGIN = N_("用户名或密码不正确，或账户已停用。")


@post("/login", name="staff.login", opt={"policy": "public"})
async def login(request: Req, data: URLEncodedBody[dict[str, Any]]) -> Response[Any]:
    username = str(data.get("username", ""))[:40].strip()
    password = str(data.get("password", ""))[:200]
    target = _safe_next(str(data.get("next", "")))
    address = client_address(request)
    async with worker(request).pool.acquire() as conn:
        retry = await ratelimit.hit(conn, f"login:{address}", 20, 600)
        result = (
            auth.LoginResult(wait=retry, waits_for="rate")
            if retry
            else await auth.attempt_login(conn, username, password, address)
        )
        if result.user_id is not None:
            async with conn.transaction():
                token = await auth.start_session(
                    conn, result.user_id, request.cookies.get(auth.COOKIE)
                )
                await audit.record(
                    conn, actor=username, action="staff.login", entity="user", entity_id=username
                )
    if result.user_id is None:
        # The same answers for unknown names, wrong passwords and inactive accounts.
        refused = result.wait > 0
        tr = speaks(request)
        error = (
            tr.gettext(LOGIN_REFUSED[result.waits_for]).format(wait=_wait_text(result.wait, tr))
            if refused
            else tr.gettext(WRONG_LOGIN)
        )
        return page(
            request,
            "staff/login.html",
            status=429 if refused else 401,
            headers={"retry-after": str(result.wait)} if refused else None,
            next=target,
            username=username,
            error=error,
        )
    secret = request.app.csrf_config.secret if request.app.csrf_config else ""
    return Redirect(
        target,
        status_code=303,
        cookies=[
            session_cookie(request, token, None),
            # The form token of this session only (auth.session_csrf_token).
            csrf_cookie(request, auth.session_csrf_token(secret, token)),
        ],
    )


@post("/logout", name="staff.logout", opt={"policy": "staff"})
async def logout(request: Req) -> Response[Any]:
    async with worker(request).pool.acquire() as conn:
        await auth.end_session(conn, request.cookies.get(auth.COOKIE))
    login_page = url_for(request, "staff.login_form")
    return Redirect(login_page, status_code=303, cookies=[session_cookie(request, "", 0)])


@get("/", name="staff.home", opt={"policy": "staff"})
async def home(request: Req) -> Response[Any]:
    user = user_of(request)
    start = "office.users" if user.role is Role.ADMIN else "staff.complaints"
    return Redirect(url_for(request, start))


@get("/complaints", name="staff.complaints", opt={"policy": "complaints"})
async def queue(
    request: Req,
    status: FromQuery[str | None] = None,
    department: FromQuery[str | None] = None,
    classification: FromQuery[str | None] = None,
    overdue: FromQuery[str | None] = None,
    page_no: FromQuery[int] = 1,
) -> Response[bytes]:
    user = user_of(request)
    today = clock.today()
    filters: dict[str, Any] = {
        "status": status if status in set(ComplaintStatus) else None,
        "department": (department or "")[:40] or None,
        "classification": classification if classification in set(Classification) else None,
        "overdue_on": today if overdue == "1" else None,
    }
    page_no = page_number(page_no)
    offset = (page_no - 1) * PAGE
    async with worker(request).pool.acquire() as conn:
        rows, total = await q.queue(
            conn, scope_department=scope_of(user), limit=PAGE, offset=offset, **filters
        )
        counts = await q.status_counts(conn, scope_of(user))
        departments = await dq.list_departments(conn)
    return page(
        request,
        "staff/complaints/queue.html",
        rows=rows,
        total=total,
        counts=counts,
        departments=departments,
        filters=filters,
        today=today,
        page_no=page_no,
        pages=(total + PAGE - 1) // PAGE,
        overdue=overdue == "1",
    )


async def _detail(request: Req, complaint_id: int, **extra: Any) -> Response[bytes]:
    """The case; `error` (a message as the code has it, 简体) is shown in the reader's language."""
    user = user_of(request)
    if extra.get("error"):
        extra["error"] = said(extra["error"], speaks(request))
    async with worker(request).pool.acquire() as conn:
        row = await q.get_for_staff(conn, complaint_id, scope_of(user))
        if row is None:
            raise NotFoundException()
        events = [
            staff_entry(e, speaks(request), marks(request))
            for e in await q.all_events(conn, complaint_id)
        ]
        departments = await dq.list_departments(conn)
        replacing = await replacement_loop(conn, user, row)
    actions = workflow.allowed(user, row)  # the engine's answer: the page offers exactly these
    return page(
        request,
        "staff/complaints/detail.html",
        c=row,
        events=events,
        actions=actions,
        departments=departments,
        today=clock.today(),
        findings=workflow.FINDINGS,
        satisfaction=workflow.SATISFACTION,
        replacing=replacing,
        **extra,
    )


async def replacement_loop(conn: Any, user: StaffUser, row: Any) -> dict[str, Any] | None:
    """For the office, beside a complaint about a listed item: what replaces the item, and the
    协查 requests the department complained about opened for it (did it use the replacement,
    or ask the citizen for the paper?). Departments do not see other departments' requests."""
    code, department = row["certificate_code"], row["department_code"]
    if user.role != Role.SUPERVISOR or not code or not department:
        return None
    item = await cq.get_latest(conn, code)
    if item is None:
        return None
    now = clock.now()
    rows, total = await vs.opened_by(conn, department, code)
    requests = [to_model(r, now) for r in rows]
    return {"item": item, "requests": requests, "total": total, "labels": STATUS_LABELS}


@get("/complaints/{complaint_id:int}", name="staff.complaint", opt={"policy": "complaints"})
async def detail(request: Req, complaint_id: FromPath[int]) -> Response[bytes]:
    return await _detail(request, complaint_id)


@post(
    "/complaints/{complaint_id:int}/{action:str}",
    name="staff.complaint_move",
    opt={"policy": "complaints", inputguard.RESHOWS_FORM: True},
)
async def act(
    request: Req,
    complaint_id: FromPath[int],
    action: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Response[Any]:
    """One workflow step; a stale page gets 409 and the current state, a bad form 422."""
    try:
        step = workflow.Action(action)
    except ValueError:
        raise NotFoundException() from None
    form = {k: str(v) for k, v in data.items()}
    if refused := inputguard.refused(request):
        return await _detail(
            request,
            complaint_id,
            status=422,
            form=form,
            errors=refused,
            error=inputguard.summary(refused),
        )
    try:
        async with worker(request).pool.acquire() as conn:
            await workflow.transition(
                conn,
                complaint_id,
                step,
                user_of(request),
                expected=form.get("expected", ""),
                form=form,
                public_url=worker(request).settings.public_url,
            )
    except workflow.Stale:
        return await _detail(
            request,
            complaint_id,
            status=409,
            form=form,
            error=N_("这件投诉刚被其他人处理过，页面已刷新为最新状态，请确认后再操作。"),
        )
    except workflow.Invalid as exc:
        return await _detail(
            request,
            complaint_id,
            status=422,
            form=form,
            errors=exc.errors,
            error="；".join(said(e.message, speaks(request)) for e in exc.errors),
        )
    url = url_for(request, "staff.complaint", {"msg": "saved"}, complaint_id=complaint_id)
    return Redirect(url, status_code=303)


@post(
    "/complaints/{complaint_id:int}/reveal",
    name="staff.complaint_reveal",
    opt={"policy": "supervisor", inputguard.RESHOWS_FORM: True},
)
async def reveal(
    request: Req, complaint_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
) -> Response[bytes]:
    """The only way contact data is read for a person: with a reason, audited first."""
    reason = str(data.get("reason", "")).strip()[:500]
    if refused := inputguard.refused(request):
        error = inputguard.summary(refused)
        return await _detail(request, complaint_id, status=422, errors=refused, error=error)
    if not reason:
        err = [FieldError("reason", N_("查看联系方式必须写明理由"))]
        return await _detail(request, complaint_id, status=422, errors=err, error=err[0].message)
    user = user_of(request)
    async with worker(request).pool.acquire() as conn, conn.transaction():
        row = await q.get_for_staff(conn, complaint_id, None)
        if row is None:
            raise NotFoundException()
        await audit.record(
            conn,
            actor=user.username,
            action="contact.reveal",
            entity="complaint",
            entity_id=row["reference"],
            reason=reason,
        )
        contact = await q.read_contact(conn, complaint_id)
    return await _detail(request, complaint_id, contact=contact or {}, revealed=True)


router = Router(
    guards=[auth.policy_guard],  # staff pages: each handler names its policy
    include_in_schema=False,
    path="/staff",
    route_handlers=[login_form, login, logout, home, queue, detail, reveal, act],
)
