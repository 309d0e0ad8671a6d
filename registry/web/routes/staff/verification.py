"""部门核查 (协查) pages: a department's incoming and outgoing requests, the new-request form,
a request's page (timeline; receive and answer for the consulted department; the answer for
the asking one); the office sees all of them, flags the overdue and 督办s. Only the two
departments and the office ever see a request: anyone else gets 404, so a reference leaks
nothing."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect

from registry.accounts import auth
from registry.accounts.models import Role, StaffUser
from registry.catalogue.queries import departments as dq
from registry.complaints.models import said
from registry.infra import clock
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.verification import events as vevents
from registry.verification import mailboxes, service, terms
from registry.verification import workflow as flow
from registry.verification.models import PAGE_SIZE, RESULTS, STATUS_LABELS
from registry.verification.queries import requests as q
from registry.web import inputguard
from registry.web.language import speaks
from registry.web.staffpages import page, page_number, user_of
from registry.web.state import worker
from registry.web.timeline import marks
from registry.web.urls import url_for
from registry.workflow.engine import Actor

Req = Request[Any, Any, Any]
POLICY = {"policy": "casework"}
STALE = N_("这份协查刚被其他人处理过，页面已刷新为最新状态，请确认后再操作。")
NEW_FIELDS = ("code", "to_department", "matter", "case_ref", "question", "applicant")


def actor_of(user: StaffUser) -> Actor:
    scope = user.department_code if user.role is Role.DEPARTMENT else None
    return Actor(user.username, str(user.role), scope)


def _by_field(errors: list[FieldError], request: Req) -> dict[str, list[str]]:
    tr = speaks(request)
    out: dict[str, list[str]] = {}
    for e in errors:
        out.setdefault(e.field, []).append(said(e.message, tr))
    return out


@get("/verification", name="staff.verification.list", opt=POLICY)
async def listing(
    request: Req,
    box: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    page_no: FromQuery[int] = 1,
) -> Response[bytes]:
    user = user_of(request)
    office = user.role is Role.SUPERVISOR
    box = "all" if office else (box if box in ("incoming", "outgoing") else "incoming")
    status = status if status in {str(s) for s in STATUS_LABELS} else None
    page_no = page_number(page_no)
    async with worker(request).pool.acquire() as conn:
        rows = await service.listing(conn, actor_of(user), box=box, status=status, page=page_no)
    return page(
        request,
        "staff/verification/list.html",
        rows=rows,
        box=box,
        chosen=status,
        office=office,
        page_no=page_no,
        more=len(rows) == PAGE_SIZE,
        labels=STATUS_LABELS,
        results=RESULTS,
    )


async def _new_form(
    request: Req, form: dict[str, str], errors: list[FieldError] | None = None, status: int = 200
) -> Response[bytes]:
    user = user_of(request)
    if user.role is not Role.DEPARTMENT:
        raise PermissionDeniedException()  # the office follows requests; departments open them
    async with worker(request).pool.acquire() as conn:
        items = await q.abolished_items(conn, clock.today())
        departments = [d for d in await dq.list_departments(conn) if d.code != user.department_code]
    chosen = next((i for i in items if i["code"] == form.get("code")), None)
    if chosen is not None and not form.get("to_department") and chosen["issuer_department"]:
        form = {**form, "to_department": chosen["issuer_department"]}
    return page(
        request,
        "staff/verification/new.html",
        status=status,
        items=items,
        departments=departments,
        form=form,
        field_errors=_by_field(errors or [], request),
        key=form.get("idempotency_key") or str(uuid.uuid4()),
    )


@get("/verification/new", name="staff.verification.new", opt=POLICY)
async def new(request: Req, code: FromQuery[str | None] = None) -> Response[bytes]:
    return await _new_form(request, {"code": (code or "")[:40]})


@post(
    "/verification/new",
    name="staff.verification.create",
    opt={**POLICY, inputguard.RESHOWS_FORM: True},
)
async def create(request: Req, data: URLEncodedBody[dict[str, Any]]) -> Response[Any]:
    user = user_of(request)
    if user.role is not Role.DEPARTMENT:
        raise PermissionDeniedException()
    form = {k: str(data.get(k, "")) for k in (*NEW_FIELDS, "idempotency_key")}
    if refused := inputguard.refused(request):
        return await _new_form(request, form, refused, 422)
    try:
        async with worker(request).pool.acquire() as conn:
            if not form["to_department"] and form["code"]:  # default: the item's issuer
                item = next(
                    (
                        i
                        for i in await q.abolished_items(conn, clock.today())
                        if i["code"] == form["code"]
                    ),
                    None,
                )
                if item is not None and item["issuer_department"]:
                    form["to_department"] = item["issuer_department"]
            made = await service.open_request(
                conn, actor_of(user), form, idempotency_key=form["idempotency_key"] or None
            )
    except service.Invalid as bad:
        return await _new_form(request, form, bad.errors, 422)
    url = url_for(
        request, "staff.verification.detail", {"msg": "saved"}, request_ref=made.reference
    )
    return Redirect(url, status_code=303)


async def _detail(request: Req, reference: str, **extra: Any) -> Response[bytes]:
    user = user_of(request)
    actor = actor_of(user)
    tr = speaks(request)
    if extra.get("error"):
        extra["error"] = said(extra["error"], tr)
    async with worker(request).pool.acquire() as conn:
        req = await service.get(conn, reference, actor)
        if req is None:
            raise NotFoundException()
        stored = await service.events(conn, reference, actor)
    events = [
        {
            "at": e["at"],
            "actor": e["actor"],
            "title": vevents.title(e["kind"], tr),
            "note": vevents.sentence(e["kind"], e["params"], e["note"], tr, marks(request)),
        }
        for e in stored
    ]
    case = {"status": req.status, "due_at": req.due_at, "to_department": req.to_department}
    return page(
        request,
        "staff/verification/detail.html",
        r=req,
        events=events,
        actions=flow.allowed(case, actor.role, actor.scope),
        labels=STATUS_LABELS,
        results=RESULTS,
        form=extra.pop("form", {}),
        field_errors=_by_field(extra.pop("errors", []), request),
        **extra,
    )


@get("/verification/{request_ref:str}", name="staff.verification.detail", opt=POLICY)
async def detail(request: Req, request_ref: FromPath[str]) -> Response[bytes]:
    return await _detail(request, request_ref[:40])


@post(
    "/verification/{request_ref:str}/{step:str}",
    name="staff.verification.act",
    opt={**POLICY, inputguard.RESHOWS_FORM: True},
)
async def act(
    request: Req,
    request_ref: FromPath[str],
    step: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Response[Any]:
    """One step; someone else's request is 404, a stale page 409, a bad form 422."""
    reference = request_ref[:40]
    actor = actor_of(user_of(request))
    async with worker(request).pool.acquire() as conn:
        visible = await service.get(conn, reference, actor)
    if visible is None or step not in flow.TABLE.moves:
        raise NotFoundException()
    form = {k: str(v) for k, v in data.items()}
    if refused := inputguard.refused(request):
        return await _detail(request, reference, status=422, form=form, errors=refused,
                             error=inputguard.summary(refused))  # fmt: skip
    try:
        async with worker(request).pool.acquire() as conn:
            await service.act(
                conn, reference, step, actor, expected=form.get("expected", ""), form=form
            )
    except service.Stale:
        return await _detail(request, reference, status=409, form=form, error=STALE)
    except service.Invalid as bad:
        error = "；".join(said(e.message, speaks(request)) for e in bad.errors)
        return await _detail(request, reference, status=422, form=form, errors=bad.errors,
                             error=error)  # fmt: skip
    url = url_for(request, "staff.verification.detail", {"msg": "saved"}, request_ref=reference)
    return Redirect(url, status_code=303)


async def _terms_page(
    request: Req, form: dict[str, str], errors: list[FieldError] | None = None, status: int = 200
) -> Response[bytes]:
    async with worker(request).pool.acquire() as conn:
        items = await q.abolished_items(conn, clock.today())
    return page(
        request,
        "staff/verification/terms.html",
        status=status,
        items=items,
        with_terms=[i for i in items if i["unit"]],
        units=terms.UNITS,
        form=form,
        field_errors=_by_field(errors or [], request),
    )


@get("/verification-terms", name="staff.verification.terms", opt={"policy": "supervisor"})
async def terms_page(request: Req) -> Response[bytes]:
    """The office's answer terms per item (default: the same working day)."""
    return await _terms_page(request, {})


@post(
    "/verification-terms",
    name="staff.verification.set_term",
    opt={"policy": "supervisor", inputguard.RESHOWS_FORM: True},
)
async def set_term(request: Req, data: URLEncodedBody[dict[str, Any]]) -> Response[Any]:
    form = {k: str(data.get(k, ""))[:100] for k in ("code", "unit", "amount")}
    if refused := inputguard.refused(request):
        return await _terms_page(request, form, refused, 422)
    try:
        async with worker(request).pool.acquire() as conn:
            await terms.set_term(conn, actor_of(user_of(request)), form)
    except service.Invalid as bad:
        return await _terms_page(request, form, bad.errors, 422)
    return Redirect(url_for(request, "staff.verification.terms", {"msg": "saved"}), status_code=303)


async def _mailboxes_page(
    request: Req, form: dict[str, str], errors: list[FieldError] | None = None, status: int = 200
) -> Response[bytes]:
    async with worker(request).pool.acquire() as conn:
        departments = await dq.list_departments(conn)
        boxes = await q.all_mailboxes(conn)
    return page(
        request,
        "staff/verification/mailboxes.html",
        status=status,
        departments=departments,
        boxes=boxes,
        office_owner=mailboxes.OFFICE,
        form=form,
        field_errors=_by_field(errors or [], request),
    )


@get("/verification-mailboxes", name="staff.verification.mailboxes", opt={"policy": "supervisor"})
async def mailboxes_page(request: Req) -> Response[bytes]:
    """Where each department's (and the office's) 协查 notices are sent."""
    return await _mailboxes_page(request, {})


@post(
    "/verification-mailboxes",
    name="staff.verification.set_mailbox",
    opt={"policy": "supervisor", inputguard.RESHOWS_FORM: True},
)
async def set_mailbox(request: Req, data: URLEncodedBody[dict[str, Any]]) -> Response[Any]:
    form = {k: str(data.get(k, ""))[:300] for k in ("owner", "email")}
    if refused := inputguard.refused(request):
        return await _mailboxes_page(request, form, refused, 422)
    try:
        async with worker(request).pool.acquire() as conn:
            await mailboxes.set_mailbox(conn, actor_of(user_of(request)), form)
    except service.Invalid as bad:
        return await _mailboxes_page(request, form, bad.errors, 422)
    url = url_for(request, "staff.verification.mailboxes", {"msg": "saved"})
    return Redirect(url, status_code=303)


router = Router(
    guards=[auth.policy_guard],
    include_in_schema=False,
    path="/staff",
    route_handlers=[
        listing,
        new,
        create,
        detail,
        act,
        terms_page,
        set_term,
        mailboxes_page,
        set_mailbox,
    ],
)
