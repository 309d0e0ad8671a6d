"""The checker's vocabulary, kept by the supervising office: everyday words for matters and
certificate names (/staff/vocabulary) and licences and identity documents (/staff/licences).

Every change needs a reason and is a new version (queries/vocabulary.py: one transaction, one
audit row); this worker's checker indexes are dropped at once, the other workers' on NOTIFY."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect

from registry.accounts import auth
from registry.catalogue.queries import vocabulary as vq
from registry.catalogue.vocab import (
    LICENCE_HEADERS,
    TERM_HEADERS,
    TERM_KIND_LABELS,
    TermKind,
)
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.web import inputguard, invalidation
from registry.web import list_forms as lf
from registry.web.language import speaks
from registry.web.staffpages import page, page_number, user_of
from registry.web.state import worker
from registry.web.urls import url_for
from registry.web.vocabulary_forms import read_form, read_licence, read_term

Req = Request[Any, Any, Any]
PAGE = 50
SHOW = {"policy": "supervisor"}
FORM = {"policy": "supervisor", inputguard.RESHOWS_FORM: True}
REASON_REQUIRED = N_("请填写变更理由（为什么增加、修改或停用这一条，记入审计日志）")
UNCHANGED = N_("与现行版本相同：没有需要保存的变更")
STALE = N_("这一条刚被其他人修改或停用过。下面是最新内容，请核对后重新填写并提交。")
TAKEN = N_("“%(text)s”已在 %(key)s 中使用：请直接修改那一条，或换个说法")
TERM_LABELS = {f: zh for zh, f in TERM_HEADERS.items()} | {"reason": "变更理由"}
LICENCE_LABELS = {f: zh for zh, f in LICENCE_HEADERS.items()} | {"reason": "变更理由"}
SOURCE_WORDS = {"shipped": N_("系统默认"), "office": N_("办公室")}  # msgids
# The msgids of the labels and kinds the forms show (the templates say _(labels[name])).
SHOWN = (
    N_("编号"), N_("类别"), N_("说法"), N_("规范用语"), N_("领域"), N_("备注"), N_("变更理由"),
    N_("证照名称"), N_("别名"), N_("颁发机关"), N_("使用规则"), N_("依据"),
    N_("办理事项"), N_("证明名称"),
)  # fmt: skip


def vocabulary_changed(request: Req) -> None:
    """This worker's caches now; the other workers hear the NOTIFY (registry.infra.invalidation)."""
    invalidation.list_changed(worker(request))


def change_errors(request: Req, values: Mapping[str, str]) -> list[FieldError]:
    """What every change must get right: no control characters, a reason."""
    errors = inputguard.refused(request)
    if not values.get("reason"):
        errors.append(FieldError("reason", REASON_REQUIRED))
    return errors


def taken_errors(taken: vq.Taken, field_of: Mapping[str, str]) -> list[FieldError]:
    return [
        FieldError(field_of.get(w, ""), TAKEN % {"text": w, "key": key})
        for w, key in taken.taken.items()
    ]


def expected_of(values: Mapping[str, str]) -> int:
    """The version the form was built from (0: none, so compare-and-set refuses it)."""
    text = values.get("expected", "")
    return int(text) if text.isdigit() and len(text) < 18 else 0


def by_field(errors: Iterable[FieldError]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in errors:
        out.setdefault(e.field, []).append(e.message)
    return out


def context(
    request: Req, labels: dict[str, str], errors: list[FieldError], **extra: Any
) -> dict[str, Any]:
    """The page's context; its messages in the reader's language."""
    tr = speaks(request)
    errors = lf.say_all(errors, tr)
    if extra.get("message"):
        extra["message"] = lf.say(extra["message"], tr)
    if extra.get("retire_errors"):
        extra["retire_errors"] = by_field(lf.say_all(extra.pop("retire_errors"), tr))
    return {
        "labels": labels,
        "errors": errors,
        "field_errors": by_field(errors),
        "retire_errors": {},
        "message": "",
        "kinds": TERM_KIND_LABELS,
        "sources": SOURCE_WORDS,
    } | extra


# ---- an entry: add, edit, retire, its versions (the same for both kinds) ------------------


@dataclass(frozen=True)
class Section:
    """One kind of entry in the workspace: where it lives and how its form reads."""

    entity: vq.Entity[Any]
    path: str  # /staff/vocabulary
    name: str  # office.thesaurus: the index's route name, the prefix of its entries' names
    templates: str  # staff/vocabulary
    labels: dict[str, str]
    fields: tuple[str, ...]  # the form's fields, the reason last
    read: Callable[[Mapping[str, str]], tuple[Any, list[FieldError]]]
    field_of: Callable[[Any], dict[str, str]]  # a refused word -> the field it was typed in
    blank: dict[str, str]  # a new entry's form


def form_values(version: vq.Version, section: Section) -> dict[str, str]:
    """A version as its form shows it: lists one per line; the reason is the new change's."""
    data = msgspec.to_builtins(version)
    return {
        f: "\n".join(data[f]) if isinstance(data[f], list) else str(data[f])
        for f in section.fields
        if f != "reason"
    }


async def entry_page(
    request: Req,
    section: Section,
    key: str,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    **extra: Any,
) -> Response[bytes]:
    """An entry: its edit and retire forms while it is current, and all its versions."""
    async with worker(request).pool.acquire() as conn:
        versions = await vq.history(conn, section.entity, key)
        gone = bool(versions) and versions[0].valid_to is not None
        retired = await vq.retirement(conn, section.entity, key) if gone else None
    if not versions:
        raise NotFoundException()
    return page(
        request,
        f"{section.templates}/edit.html",
        status=status,
        **lf.flash(request, key=key),
        **context(
            request,
            section.labels,
            errors or [],
            key=key,
            entry=versions[0],
            versions=versions,
            retirement=retired,
            values=values if values is not None else form_values(versions[0], section),
            **extra,
        ),
    )


def saved(request: Req, s: Section, key: str, msg: str) -> Redirect:
    """Post/Redirect/Get: the entry's page, with what was done (a key of lf.FLASHES)."""
    return Redirect(url_for(request, f"{s.name}.entry", {"msg": msg}, key=key), status_code=303)


def entry_routes(s: Section) -> list[Any]:
    """The new / add / entry / save / retire handlers of a section."""

    @get("/new", name=f"{s.name}.new", opt=SHOW)
    async def new_form(request: Req) -> Response[bytes]:
        return page(
            request, f"{s.templates}/edit.html", **context(request, s.labels, [], values=s.blank)
        )

    @post("/new", name=f"{s.name}.create", opt=FORM)
    async def create(request: Req, data: URLEncodedBody[dict[str, Any]]) -> Response[Any]:
        values = read_form(data, s.fields)
        entry, errors = s.read(values)
        errors = change_errors(request, values) + errors
        if not errors:
            try:
                async with worker(request).pool.acquire() as conn:
                    key = await vq.add(
                        conn, s.entity, entry,
                        actor=user_of(request).username, reason=values["reason"][:500],
                    )  # fmt: skip
            except vq.Taken as taken:
                errors = taken_errors(taken, s.field_of(entry))
        if errors:
            ctx = context(request, s.labels, errors, values=values)
            return page(request, f"{s.templates}/edit.html", status=422, **ctx)
        vocabulary_changed(request)
        return saved(request, s, key, "added")

    @get("/{key:str}", name=f"{s.name}.entry", opt=SHOW)
    async def show(request: Req, key: FromPath[str]) -> Response[bytes]:
        return await entry_page(request, s, key)

    @post("/{key:str}", name=f"{s.name}.save", opt=FORM)
    async def save(
        request: Req, key: FromPath[str], data: URLEncodedBody[dict[str, Any]]
    ) -> Response[Any]:
        """A new version of the entry; a form built from an older version gets 409."""
        values = read_form(data, (*s.fields, "expected"))
        entry, errors = s.read(values)
        errors = change_errors(request, values) + errors
        if not errors:
            try:
                async with worker(request).pool.acquire() as conn:
                    await vq.edit(
                        conn, s.entity, key, expected_of(values), entry,
                        actor=user_of(request).username, reason=values["reason"][:500],
                    )  # fmt: skip
            except vq.Stale:
                kept = {"reason": values["reason"]}
                return await entry_page(request, s, key, status=409, message=STALE, kept=kept)
            except vq.Unchanged:
                errors = [FieldError("", UNCHANGED)]
            except vq.Taken as taken:
                errors = taken_errors(taken, s.field_of(entry))
        if errors:
            return await entry_page(request, s, key, status=422, values=values, errors=errors)
        vocabulary_changed(request)
        return saved(request, s, key, "saved-new")

    @post("/{key:str}/retire", name=f"{s.name}.retire", opt=FORM)
    async def retire(
        request: Req, key: FromPath[str], data: URLEncodedBody[dict[str, Any]]
    ) -> Response[Any]:
        """Close the current version without a successor: the checker stops using it."""
        values = read_form(data, ("reason", "expected"))
        if errors := change_errors(request, values):
            refused: dict[str, Any] = {
                "retire_errors": errors,
                "retire_reason": values["reason"],
            }
            return await entry_page(request, s, key, status=422, **refused)
        try:
            async with worker(request).pool.acquire() as conn:
                await vq.retire(
                    conn, s.entity, key, expected_of(values),
                    actor=user_of(request).username, reason=values["reason"][:500],
                )  # fmt: skip
        except vq.Stale:
            return await entry_page(request, s, key, status=409, message=STALE)
        vocabulary_changed(request)
        return saved(request, s, key, "retired")

    return [new_form, create, show, save, retire]


# ---- the two sections ---------------------------------------------------------------------

THESAURUS = Section(
    entity=vq.TERMS,
    path="/staff/vocabulary",
    name="office.thesaurus",
    templates="staff/vocabulary",
    labels=TERM_LABELS,
    fields=("kind", "phrases", "targets", "domain", "note", "reason"),
    read=read_term,
    field_of=lambda term: dict.fromkeys(term.phrases, "phrases"),
    blank={"kind": str(TermKind.MATTER)},
)
LICENCES = Section(
    entity=vq.LICENCES,
    path="/staff/licences",
    name="office.licences",
    templates="staff/licences",
    labels=LICENCE_LABELS,
    fields=("name", "aliases", "issuer", "rule", "legal_basis", "reason"),
    read=read_licence,
    field_of=lambda lic: dict.fromkeys(lic.aliases, "aliases") | {lic.name: "name"},
    blank={},
)


@get("/", name=THESAURUS.name, opt=SHOW)
async def terms(
    request: Req,
    q_: Annotated[str | None, QueryParameter(name="q")] = None,
    kind: FromQuery[str | None] = None,
    domain: FromQuery[str | None] = None,
    retired: FromQuery[str | None] = None,
    page_no: Annotated[int, QueryParameter(name="page")] = 1,
) -> Response[bytes]:
    """Everyday words, searchable, by kind and domain; retired ones on request."""
    filters = {
        "q": (q_ or "").strip()[:100] or None,
        "kind": kind if kind in set(TermKind) else None,
        "domain": (domain or "").strip()[:50] or None,
    }
    page_no = page_number(page_no)
    async with worker(request).pool.acquire() as conn:
        rows, total = await vq.list_terms(
            conn, **filters, retired=retired == "1", limit=PAGE, offset=(page_no - 1) * PAGE
        )
        domains = await vq.term_domains(conn)
    shown = {k: v or "" for k, v in filters.items()} | {"retired": "1" if retired == "1" else ""}
    return page(
        request,
        "staff/vocabulary/index.html",
        **context(request, TERM_LABELS, []),
        rows=rows,
        total=total,
        filters=shown,
        domains=domains,
        page_no=page_no,
        pages=max(1, (total + PAGE - 1) // PAGE),
    )


@get("/", name=LICENCES.name, opt=SHOW)
async def licences(
    request: Req,
    q_: Annotated[str | None, QueryParameter(name="q")] = None,
    retired: FromQuery[str | None] = None,
    page_no: Annotated[int, QueryParameter(name="page")] = 1,
) -> Response[bytes]:
    query = (q_ or "").strip()[:100] or None
    page_no = page_number(page_no)
    async with worker(request).pool.acquire() as conn:
        rows, total = await vq.list_licences(
            conn, q=query, retired=retired == "1", limit=PAGE, offset=(page_no - 1) * PAGE
        )
    return page(
        request,
        "staff/licences/index.html",
        **context(request, LICENCE_LABELS, []),
        rows=rows,
        total=total,
        filters={"q": query or "", "retired": "1" if retired == "1" else ""},
        page_no=page_no,
        pages=max(1, (total + PAGE - 1) // PAGE),
    )


thesaurus_router = Router(
    guards=[auth.policy_guard],  # staff pages: each handler names its policy
    path=THESAURUS.path,
    route_handlers=[terms, *entry_routes(THESAURUS)],
    include_in_schema=False,
)
licences_router = Router(
    guards=[auth.policy_guard],
    path=LICENCES.path,
    route_handlers=[licences, *entry_routes(LICENCES)],
    include_in_schema=False,
)
