"""List administration for the supervising office: browse, edit, add and import items.

Every write goes through the importer's rules (see list_forms.py), holds the list lock, and
drops this worker's caches afterwards; the other workers hear the NOTIFY."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect

from registry.accounts import auth
from registry.catalogue import sheetproc, transfer
from registry.catalogue.models import LEGAL_BASIS_LEVELS, REPLACEMENT_METHODS, Status
from registry.catalogue.queries import certificates as cq
from registry.catalogue.queries import imports as iq
from registry.infra import clock
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.web import invalidation
from registry.web import list_forms as lf
from registry.web.language import speaks
from registry.web.staffpages import page, page_number, user_of
from registry.web.state import worker
from registry.web.urls import url_for

Req = Request[Any, Any, Any]
PAGE = 50


def list_changed(request: Req) -> None:
    """This worker's caches now; the other workers hear the NOTIFY (registry.infra.invalidation)."""
    invalidation.list_changed(worker(request))


@get("/", name="office.list", opt={"policy": "supervisor"})
async def index(
    request: Req,
    q_: Annotated[str | None, QueryParameter(name="q")] = None,
    status: FromQuery[str | None] = None,
    page_no: Annotated[int, QueryParameter(name="page")] = 1,
) -> Response[bytes]:
    query = (q_ or "").strip()[:100] or None
    wanted = status if status in set(Status) else None
    page_no = page_number(page_no)
    async with worker(request).pool.acquire() as conn:
        items, total = await iq.latest_page(
            conn, q=query, status=wanted, limit=PAGE, offset=(page_no - 1) * PAGE
        )
    return page(
        request,
        "staff/list/index.html",
        items=items,
        total=total,
        q=query or "",
        status_filter=wanted or "",
        page_no=page_no,
        pages=max(1, (total + PAGE - 1) // PAGE),
    )


def _form_context(request: Req, **extra: Any) -> dict[str, Any]:
    """The form's context; its messages in the reader's language."""
    errors = lf.say_all(extra.pop("errors", []), tr := speaks(request))
    extra["message"] = lf.say(extra.get("message", ""), tr)
    return {
        "levels": LEGAL_BASIS_LEVELS,
        "methods": REPLACEMENT_METHODS,
        "labels": lf.LABELS,
        "errors": errors,
        "field_errors": lf.by_field(errors),
    } | extra


async def _edit_page(
    request: Req,
    code: str,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    override: str | None = None,
    **extra: Any,
) -> Response[bytes]:
    """The edit form: the latest version prefilled unless the user's input is given back."""
    async with worker(request).pool.acquire() as conn:
        cert = await cq.get_latest(conn, code)
        if cert is None:
            raise NotFoundException()
        expected = await iq.latest_version_id(conn, code)
        versions = await cq.history(conn, code)
    if values is None:
        values = lf.values_of(cert)
        if override in set(Status):
            values["status"] = str(override)
    return page(
        request,
        "staff/list/edit.html",
        status=status,
        **lf.flash(request, code=code),
        **_form_context(
            request,
            cert=cert,
            values=values,
            expected=expected,
            versions=versions,
            override=override if override in set(Status) else "",
            **extra,
        ),
    )


@get("/new", name="office.list_new", opt={"policy": "supervisor"})
async def new_form(request: Req) -> Response[bytes]:
    return page(request, "staff/list/edit.html", **_form_context(request, cert=None, values={}))


@get("/{code:str}", name="office.list_item", opt={"policy": "supervisor"})
async def edit_form(
    request: Req, code: FromPath[str], status: FromQuery[str | None] = None
) -> Response[bytes]:
    return await _edit_page(request, code, override=status)


async def _submit(
    conn: Any, table: list[list[str]], errors: list[FieldError], *, actor: str, reason: str
) -> list[FieldError]:
    """Apply when the change fields are fine; otherwise a dry-run, so every message shows."""
    if errors:
        report = await transfer.import_table(conn, table, apply=False, actor=actor)
    else:
        report = await lf.apply_audited(conn, table, actor=actor, reason=reason)
    found: list[FieldError] = []
    for e in [*errors, *lf.field_errors(report)]:
        if e not in found:
            found.append(e)
    if not found and not report.applied:
        found.append(FieldError("", N_("与现行版本相同：没有需要保存的变更")))
    return found


@post("/{code:str}", name="office.list_save", opt={"policy": "supervisor"})
async def save(
    request: Req, code: FromPath[str], data: URLEncodedBody[dict[str, Any]]
) -> Response[Any]:
    """One change to one item; a form built from an older version gets 409 (compare-and-set)."""
    user = user_of(request)
    values = lf.read_form(data, (*lf.ITEM_FIELDS, *lf.CHANGE_FIELDS, "expected"))
    errors = lf.check_change(values, clock.today())
    async with worker(request).pool.acquire() as conn, conn.transaction():
        await iq.lock_list(conn)
        current = await iq.latest_version_id(conn, code)
        stale = current is not None and str(current) != values["expected"]
        if current is not None and not stale:
            errors = await _submit(
                conn,
                lf.to_table(values, code),
                errors,
                actor=user.username,
                reason=values["reason"],
            )
    if current is None:
        raise NotFoundException()
    if stale:
        kept = {f: values[f] for f in lf.CHANGE_FIELDS}
        return await _edit_page(
            request,
            code,
            status=409,
            kept=kept,
            message=N_("这一事项刚被其他人修改过。下面是最新内容，请核对后重新填写修改并提交。"),
        )
    if errors:
        return await _edit_page(request, code, status=422, values=values, errors=errors)
    list_changed(request)
    done = {"msg": "saved-version", "day": values["effective_from"]}
    return Redirect(url_for(request, "office.list_item", done, code=code), status_code=303)


@post("/new", name="office.list_create", opt={"policy": "supervisor"})
async def create(request: Req, data: URLEncodedBody[dict[str, Any]]) -> Response[Any]:
    """A new item: the code is optional (the next free one is taken)."""
    user = user_of(request)
    values = lf.read_form(data, ("code", *lf.ITEM_FIELDS, *lf.CHANGE_FIELDS))
    errors = lf.check_change(values, clock.today())
    code = values["code"]
    if code and not transfer.CODE_RE.match(code):
        errors.append(FieldError("code", lf.BAD_CODE % {"code": code}))
    async with worker(request).pool.acquire() as conn, conn.transaction():
        await iq.lock_list(conn)
        if code and await cq.get_latest(conn, code) is not None:
            errors.append(FieldError("code", lf.CODE_TAKEN % {"code": code}))
        same_name = (await cq.codes_by_name(conn)).get(values["name"])
        if same_name:
            errors.append(FieldError("name", lf.SAME_NAME % {"code": same_name}))
        if not errors:
            code = code or await cq.next_code(conn)
        errors = await _submit(
            conn,
            # With errors, a dry-run of the row under a code nobody has, to see its own faults.
            lf.to_table(values, "NEW" if errors else code),
            errors,
            actor=user.username,
            reason=values["reason"],
        )
    if errors:
        return page(
            request,
            "staff/list/edit.html",
            status=422,
            **_form_context(request, cert=None, values=values, errors=errors),
        )
    list_changed(request)
    done = {"msg": "added-item"}
    return Redirect(url_for(request, "office.list_item", done, code=code), status_code=303)


# ---- imports from the browser -------------------------------------------------------------


class _Refused(Exception):
    """Leaves the apply transaction, so the batch's applied_at is rolled back too."""

    def __init__(self, report: dict[str, Any], status: int, message: str) -> None:
        super().__init__(message)
        self.report, self.status, self.message = report, status, message


async def _import_page(request: Req, status: int = 200, error: str = "") -> Response[bytes]:
    async with worker(request).pool.acquire() as conn:
        batches = await iq.recent_batches(conn)
    error = lf.say(error, speaks(request))
    return page(request, "staff/list/import.html", status=status, error=error, batches=batches)


@get("/import", name="office.import_form", opt={"policy": "supervisor"})
async def import_form(request: Req) -> Response[bytes]:
    return await _import_page(request)


@post("/import", name="office.import", opt={"policy": "supervisor"})
async def upload(request: Req) -> Response[Any]:
    """Store the file and its dry-run; the preview page shows what applying would do. The
    file is read in a child process (sheetproc.py), so the site answers meanwhile."""
    got = await lf.read_upload(request)
    if isinstance(got, str):
        return await _import_page(request, status=422, error=got)
    name, data = got
    user = user_of(request)
    try:
        table = await sheetproc.read_table(data, name)
        async with worker(request).pool.acquire() as conn:
            report = await transfer.import_table(conn, table, apply=False, actor=user.username)
            async with conn.transaction():
                batch_id = await iq.insert_batch(
                    conn, uploaded_by=user.username, filename=name, data=data
                )
                await iq.set_report(conn, batch_id, lf.describe(report))
    except transfer.TransferError as exc:
        return await _import_page(request, status=422, error=str(exc))
    return Redirect(url_for(request, "office.import_batch", batch=batch_id), status_code=303)


PREVIEW_PAGE = 100  # entries of each list (errors, added, changed) on one preview page


def _batch_id(batch: str) -> int:
    if not batch.isdigit() or len(batch) > 18:
        raise NotFoundException()
    return int(batch)


async def _preview_page(
    request: Req,
    batch: str,
    *,
    status: int = 200,
    report: dict[str, Any] | None = None,
    error: str = "",
    page_no: int = 1,
    form: dict[str, Any] | None = None,
) -> Response[bytes]:
    """One page of a batch's preview: a bounded number of rows whatever the file held; `form`
    is what the apply form sent back (kept when it is refused)."""
    page_no = max(1, min(page_no, 100_000))
    offset = (page_no - 1) * PREVIEW_PAGE
    async with worker(request).pool.acquire() as conn:
        row = await iq.batch_page(conn, _batch_id(batch), offset=offset, limit=PREVIEW_PAGE)
    if row is None:
        raise NotFoundException()
    view = dict(row)
    if report is not None:  # a refused apply shows what the apply found, not the old preview
        view |= lf.preview_view(report, offset, PREVIEW_PAGE)
    stored = max(view[f"{k}_stored"] for k in ("added", "changed", "errors", "warnings"))
    tr = speaks(request)
    can_apply = (
        view["applied_at"] is None
        and not view["error_count"]
        and bool(view["added_count"] or view["changed_count"])
    )
    return page(
        request,
        "staff/list/preview.html",
        status=status,
        **lf.flash(request),
        batch=row,
        report=view,
        can_apply=can_apply,
        error=lf.say(error, tr),
        row_message=lambda message: lf.say(message, tr),
        page_no=page_no,
        pages=max(1, (stored + PREVIEW_PAGE - 1) // PREVIEW_PAGE),
        per_page=PREVIEW_PAGE,
        offset=offset,
        form=form or {},
        field_errors=lf.by_field(lf.say_all(form.get("errors", []) if form else [], tr)),
    )


@get("/import/{batch:str}", name="office.import_batch", opt={"policy": "supervisor"})
async def preview(
    request: Req,
    batch: FromPath[str],
    page_no: Annotated[int, QueryParameter(name="page")] = 1,
) -> Response[bytes]:
    return await _preview_page(request, batch, page_no=page_no)


@post("/import/{batch:str}/apply", name="office.import_apply", opt={"policy": "supervisor"})
async def apply_batch(
    request: Req, batch: FromPath[str], data: URLEncodedBody[dict[str, Any]]
) -> Response[Any]:
    """Apply a previewed batch once: applied_at is set by compare-and-set, a repeat is 409.
    The stored file is read (in a child) before the transaction and the list lock."""
    batch_id = _batch_id(batch)
    user = user_of(request)
    reason = str(data.get("reason", "") or "").strip()[:500]
    form = {"reason": reason, "official": data.get("official") == "yes"}
    if not reason:  # the public reason: never the file's name or the user's in its place
        form["errors"] = [FieldError("reason", lf.REASON_REQUIRED)]
        return await _preview_page(request, batch, status=422, error=lf.REASON_REQUIRED, form=form)
    async with worker(request).pool.acquire() as conn:
        stored = await iq.batch_file(conn, batch_id)
    if stored is None:
        raise NotFoundException()
    try:
        table = (
            None
            if stored["applied_at"]
            else await sheetproc.read_table(stored["data"], stored["filename"])
        )
        async with worker(request).pool.acquire() as conn, conn.transaction():
            await iq.lock_list(conn)
            if table is None or await iq.claim_batch(conn, batch_id) is None:
                raise _Refused({}, 409, N_("这一批次已经导入过，不能重复导入。"))
            report = await lf.apply_audited(conn, table, actor=user.username, reason=reason)
            described = lf.describe(report) | {"official": form["official"]}
            if report.errors:
                raise _Refused(described, 422, N_("文件中有错误，不能导入：请改正后重新上传。"))
            if not report.applied:
                raise _Refused(described, 409, N_("清单在预览之后已有变化，请重新上传预览。"))
            await iq.set_report(conn, batch_id, described)
            if form["official"]:  # its trigger drops every worker's pages: the notice goes
                await iq.mark_official(conn, actor=user.username, reason=reason)
    except transfer.TransferError as exc:
        return await _preview_page(request, batch, status=422, error=str(exc), form=form)
    except _Refused as refused:
        return await _preview_page(
            request,
            batch,
            status=refused.status,
            report=refused.report or None,
            error=refused.message,
            form=form,
        )
    list_changed(request)
    done = {"msg": "imported", "added": len(report.added), "changed": len(report.changed)}
    url = url_for(request, "office.import_batch", done, batch=batch)
    return Redirect(url, status_code=303)


router = Router(
    guards=[auth.policy_guard],  # staff pages: each handler names its policy
    path="/staff/list",
    route_handlers=[
        index,
        new_form,
        create,
        import_form,
        upload,
        preview,
        apply_batch,
        edit_form,
        save,
    ],
    include_in_schema=False,
)
