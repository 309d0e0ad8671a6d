"""告知承诺 at work: a clerk (own department only) or the office looks a signed commitment up
by its reference and records the later check; the office edits the published forms. Someone
outside the commitment's department gets 404, as for complaints."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect

from registry.accounts import auth
from registry.accounts.models import Role, StaffUser
from registry.catalogue.models import Status
from registry.catalogue.queries import certificates as cq
from registry.commitments import checks
from registry.commitments.models import (
    CHECK_LABELS,
    DEFAULT_CHECK,
    DEFAULT_CHECK_DAYS,
    DEFAULT_LIABILITY,
    METHOD_LABELS,
    METHODS,
    STATUS_LABELS,
    FormIn,
    Signed,
    default_obligation,
    mask_id,
    mask_phone,
    validate_form,
)
from registry.commitments.queries import forms as fq
from registry.commitments.queries import signed as sq
from registry.infra import audit, clock
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.web import inputguard
from registry.web.language import speaks
from registry.web.staffpages import page, user_of
from registry.web.state import worker
from registry.web.urls import url_for

Req = Request[Any, Any, Any]
LABELS: dict[str, Any] = {"check_labels": CHECK_LABELS, "status_labels": STATUS_LABELS}


def scope_of(user: StaffUser) -> str | None:
    return user.department_code if user.role is Role.DEPARTMENT else None


def shown(c: Signed, *, full: bool) -> dict[str, str]:
    """The signer as a staff page may show them: the name; the ID number and phone in full only
    on the clerk's detail page."""
    if c.erased_at is not None:
        return {"name": "", "id_number": "", "phone": ""}
    if full:
        return {"name": c.name, "id_number": c.id_number, "phone": c.phone}
    return {"name": c.name, "id_number": mask_id(c.id_number), "phone": mask_phone(c.phone)}


@get("/commitments", name="staff.commitments", opt={"policy": "casework"})
async def lookup(request: Req, ref: FromQuery[str | None] = None) -> Response[Any]:
    """Look a reference up (straight to it when found); below, the latest of one's own."""
    user = user_of(request)
    ref = (ref or "").strip().upper()[:40]
    async with worker(request).pool.acquire() as conn:
        if ref:
            found = await sq.get(conn, ref, scope_of(user))
            if found is not None:
                return Redirect(url_for(request, "staff.commitment", reference=found.reference))
        rows = await sq.recent(conn, scope_of(user), unchecked=False)
    return page(
        request,
        "staff/commitments/list.html",
        ref=ref,
        missing=bool(ref),
        rows=[(c, shown(c, full=False)) for c in rows],
        **LABELS,
    )


async def _detail(request: Req, reference: str, status: int = 200, **extra: Any) -> Response[bytes]:
    user = user_of(request)
    async with worker(request).pool.acquire() as conn:
        c = await sq.get(conn, reference[:40], scope_of(user))
    if c is None:
        raise NotFoundException()
    if extra.get("error"):
        extra["error"] = speaks(request).gettext(extra["error"])
    extra.setdefault("form", {})
    extra.setdefault("errors", {})
    return page(
        request,
        "staff/commitments/detail.html",
        status=status,
        c=c,
        signer=shown(c, full=user.role is Role.DEPARTMENT),
        actions=checks.allowed(user, c),
        **LABELS,
        **extra,
    )


@get("/commitments/{reference:str}", name="staff.commitment", opt={"policy": "casework"})
async def detail(request: Req, reference: FromPath[str]) -> Response[bytes]:
    return await _detail(request, reference)


@post(
    "/commitments/{reference:str}/{action:str}",
    name="staff.commitment_check",
    opt={"policy": "casework", inputguard.RESHOWS_FORM: True},
)
async def record_check(
    request: Req,
    reference: FromPath[str],
    action: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Response[Any]:
    """属实 / 不实, once; a stale page gets 409 with the current state, bad input 422."""
    user = user_of(request)
    form = {k: str(v)[:2000] for k, v in data.items()}
    # Each answer page is rendered after the connection is given back (a pool of one in tests).
    problem: tuple[int, dict[str, Any]] | None = None
    async with worker(request).pool.acquire() as conn:
        c = await sq.get(conn, reference[:40], scope_of(user))
        if c is None or action not in checks.TABLE.moves:
            raise NotFoundException()
        if refused := inputguard.refused(request):
            problem = 422, {"form": form, "errors": _by_field(request, refused)}
        else:
            try:
                await checks.record_check(
                    conn, c.id, action, user, expected=form.get("expected", ""), form=form
                )
            except checks.Stale:
                msg = N_("这份承诺刚被其他人核查过，页面已刷新为最新状态，请确认后再操作。")
                problem = 409, {"error": msg}
            except checks.Invalid as exc:
                problem = 422, {"form": form, "errors": _by_field(request, exc.errors)}
    if problem is not None:
        return await _detail(request, reference, problem[0], **problem[1])
    url = url_for(request, "staff.commitment", {"msg": "saved"}, reference=c.reference)
    return Redirect(url, status_code=303)


def _by_field(request: Req, errors: list[FieldError]) -> dict[str, list[str]]:
    tr = speaks(request)
    out: dict[str, list[str]] = {}
    for e in errors:
        out.setdefault(e.field, []).append(tr.gettext(e.message))
    return out


# ---- the office: the published forms ---------------------------------------------------


@get("/commitment-forms", name="office.commitment_forms", opt={"policy": "supervisor"})
async def forms_list(request: Req, code: FromQuery[str | None] = None) -> Response[Any]:
    if code and code.strip():
        return Redirect(url_for(request, "office.commitment_form", code=code.strip()[:40]))
    async with worker(request).pool.acquire() as conn:
        forms = await fq.in_force(conn, clock.today())
    return page(request, "staff/commitments/forms.html", forms=forms)


async def _form_page(
    request: Req, code: str, status: int = 200, values: dict[str, Any] | None = None, **extra: Any
) -> Response[bytes]:
    async with worker(request).pool.acquire() as conn:
        item = await cq.get_latest(conn, code[:40])
        if item is None or item.status is not Status.ABOLISHED:
            raise NotFoundException()
        current = await fq.current(conn, item.code, clock.today())
        history = await fq.history(conn, item.code)
    if values is None:
        values = (
            {
                "item_name": current.item_name,
                "basis": current.basis,
                "obligation": current.obligation,
                "methods": current.methods,
                "liability": current.liability,
                "check_method": current.check_method,
                "check_days": str(current.check_days),
            }
            if current
            else {
                "item_name": item.name,
                "basis": item.decision_doc,
                "obligation": default_obligation(item.name, item.replacement),
                "methods": list(METHODS),
                "liability": DEFAULT_LIABILITY,
                "check_method": DEFAULT_CHECK,
                "check_days": str(DEFAULT_CHECK_DAYS),
            }
        )
    extra.setdefault("errors", {})
    return page(
        request,
        "staff/commitments/form_edit.html",
        status=status,
        item=item,
        current=current,
        history=history,
        values=values,
        expected=str(current.id) if current else "",
        method_labels=METHOD_LABELS,
        **extra,
    )


@get("/commitment-forms/{code:str}", name="office.commitment_form", opt={"policy": "supervisor"})
async def form_edit(request: Req, code: FromPath[str]) -> Response[bytes]:
    return await _form_page(request, code)


@post(
    "/commitment-forms/{code:str}",
    name="office.commitment_form_save",
    opt={"policy": "supervisor", inputguard.RESHOWS_FORM: True},
)
async def form_save(
    request: Req, code: FromPath[str], data: URLEncodedBody[dict[str, Any]]
) -> Response[Any]:
    """A new version from today (the one in force ends); 409 when the page was stale."""
    raw = await request.form()
    methods = [str(m) for m in raw.getall("methods", [])]
    values: dict[str, Any] = {k: str(v)[:2100] for k, v in data.items() if k != "methods"}
    values["methods"] = methods
    if refused := inputguard.refused(request):
        return await _form_page(request, code, 422, values, errors=_by_field(request, refused))
    result = validate_form(values, methods)
    if isinstance(result, list):
        return await _form_page(request, code, 422, values, errors=_by_field(request, result))
    user = user_of(request)
    async with worker(request).pool.acquire() as conn, conn.transaction():
        item = await cq.get_latest(conn, code[:40])
        if item is None or item.status is not Status.ABOLISHED:
            raise NotFoundException()
        now = await fq.current(conn, item.code, clock.today())
        stale = (str(now.id) if now else "") != values.get("expected", "")
        if not stale:
            await _save_version(conn, item.code, result, user.username)
    if stale:
        msg = N_("这份承诺书刚被其他人修改过，下面是最新版本，请确认后再保存。")
        return await _form_page(request, code, 409, error=speaks(request).gettext(msg))
    worker(request).pages.clear()  # the item page links to the form (other workers: NOTIFY)
    url = url_for(request, "office.commitment_form", {"msg": "saved"}, code=item.code)
    return Redirect(url, status_code=303)


async def _save_version(conn: Any, code: str, new: FormIn, actor: str) -> None:
    """The new version and its audit row, in the caller's transaction."""
    before, after = await fq.add_version(conn, code, new, actor, clock.today())
    await audit.record(
        conn,
        actor=actor,
        action="commitment_form.edit",
        entity="commitment_form",
        entity_id=code,
        before={"id": before.id, "valid_from": str(before.valid_from)} if before else None,
        after={
            "id": after.id,
            "valid_from": str(after.valid_from),
            "item_name": after.item_name,
            "obligation": after.obligation,
            "methods": after.methods,
            "check_days": after.check_days,
        },
        reason=new.reason,
    )


router = Router(
    guards=[auth.policy_guard],
    include_in_schema=False,
    path="/staff",
    route_handlers=[lookup, detail, record_check, forms_list, form_edit, form_save],
)
