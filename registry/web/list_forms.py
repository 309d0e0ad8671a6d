"""List administration in the browser: form <-> import row, and an audited apply.

Edits, additions and browser imports all go through transfer.import_table, so a form obeys
exactly the importer's rules (legal basis for retained items, dates, levels, versions)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import asyncpg
import msgspec
from litestar.datastructures import UploadFile
from markupsafe import Markup, escape

from registry.catalogue import transfer
from registry.catalogue.models import Certificate
from registry.catalogue.queries import imports as iq
from registry.infra import textclean
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_, Translations
from registry.web.language import HAN, speaks

LABELS = {field: zh for field, zh in transfer.COLUMNS} | {"reason": "变更理由"}
# The msgids of what the list's forms show from the list's own vocabulary: the column labels,
# the legal-basis levels (the templates say _(labels[name]), _(level), _(d.label)).
SHOWN = (
    N_("编号"), N_("证明名称"), N_("别名"), N_("状态"), N_("开具单位"), N_("索要单位"),
    N_("办理事项"), N_("设定依据"), N_("依据层级"), N_("所属领域"), N_("取消后办理方式"),
    N_("办理方式类型"),
    N_("保留原因"), N_("决定文号"), N_("生效日期"), N_("备注"), N_("变更理由"),
    N_("法律"), N_("行政法规"), N_("国务院决定"), N_("地方性法规"), N_("规章"),
    N_("规范性文件"), N_("无"),
)  # fmt: skip
# A change's public reason: shown in the change log and the item's history, so never empty
# and never a file or user name (the audit log says who and from which file).
REASON_REQUIRED = N_("请填写变更理由（公开显示在变更记录中，例如依据哪次会议或文件作出这次变更）")
BAD_CODE = N_("编号“%(code)s”格式不对：只能包含字母、数字、- 和 _")
CODE_TAKEN = N_("编号 %(code)s 已被使用：修改已有事项请到它的编辑页")
SAME_NAME = N_("已有同名事项 %(code)s：请直接修改该事项")
# The item's own fields, as the edit form shows them.
ITEM_FIELDS = tuple(f for f in transfer.COMPARED if f != "decision_doc")  # asked separately
# What every change must state: the decision, from when, and why.
CHANGE_FIELDS = ("decision_doc", "effective_from", "reason")
LIMITS = {"name": 200, "code": 40, "effective_from": 10, "decision_doc": 200}
LIST_SEPARATORS = re.compile(r"[\r\n；;]+")
ALIAS_SEPARATORS = re.compile(r"[\r\n；;、]+")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_UPLOAD = 1024 * 1024
FILE_TYPES = (".csv", ".xlsx")
# Which form field an importer message is about (checked in this order).
MESSAGE_FIELDS = (
    ("证明名称", "name"),
    ("状态", "status"),
    ("编号", "code"),
    ("依据层级", "legal_basis_level"),
    ("办理方式类型", "replacement_kind"),
    ("保留的证明事项", "legal_basis"),
    ("生效日期", "effective_from"),
)


def values_of(cert: Certificate) -> dict[str, str]:
    """Form values for an item: list fields one per line."""
    out: dict[str, str] = {}
    for field in ITEM_FIELDS:
        value = getattr(cert, field)
        out[field] = "\n".join(value) if isinstance(value, list) else str(value or "")
    out["code"] = cert.code
    return out


def read_form(data: Mapping[str, Any], fields: Iterable[str]) -> dict[str, str]:
    """The submitted text of each field, trimmed and bounded."""
    return {f: str(data.get(f, "") or "").strip()[: LIMITS.get(f, 4000)] for f in fields}


def check_change(values: Mapping[str, str], today: dt.date) -> list[FieldError]:
    """The change fields the importer does not require but a form change must state."""
    errors = []
    if not values.get("decision_doc"):
        errors.append(FieldError("decision_doc", N_("请填写决定文号（依据哪份文件作出这次变更）")))
    eff = values.get("effective_from", "")
    if not eff:
        errors.append(FieldError("effective_from", N_("请填写生效日期")))
    elif not ISO_DATE.match(eff) or transfer.parse_date(eff, today) is None:
        said = N_("生效日期“%(day)s”无法识别：应为 YYYY-MM-DD")
        errors.append(FieldError("effective_from", said % {"day": eff}))
    if not values.get("reason"):
        errors.append(FieldError("reason", REASON_REQUIRED))
    return errors


def _cell(field: str, text: str) -> str:
    if field == "aliases":
        return "；".join(p.strip() for p in ALIAS_SEPARATORS.split(text) if p.strip())
    if field in transfer.LIST_FIELDS:
        return "；".join(p.strip() for p in LIST_SEPARATORS.split(text) if p.strip())
    return " ".join(text.split()) if field != "note" else text


def to_table(values: Mapping[str, str], code: str) -> list[list[str]]:
    """A one-row import table, in the columns and cell format transfer reads."""
    row = {field: _cell(field, values.get(field, "")) for field, _ in transfer.COLUMNS}
    row["code"] = code
    if row["status"] in ("retained", "保留"):  # the kind select only speaks for abolished items
        row["replacement_kind"] = ""
    return [list(transfer.HEADERS), [row[field] for field, _ in transfer.COLUMNS]]


def field_errors(report: transfer.ImportReport) -> list[FieldError]:
    """The importer's row messages, each attached to the field it is about."""
    out = []
    for e in report.errors:
        field = next((f for word, f in MESSAGE_FIELDS if word in e.message), "")
        if textclean.MESSAGE in e.message:  # "<column>含有不可见的控制字符…"
            field = next((f for f, zh in transfer.COLUMNS if e.message.startswith(zh)), field)
        out.append(FieldError(field, e.message))
    return out


def by_field(errors: Sequence[FieldError]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in errors:
        out.setdefault(e.field, []).append(e.message)
    return out


async def apply_audited(
    conn: asyncpg.Connection,
    table: Sequence[Sequence[str]],
    *,
    actor: str,
    reason: str,
    today: dt.date | None = None,
) -> transfer.ImportReport:
    """Import with apply, plus one `list.change` audit row per item with before and after.

    The caller holds the list lock and a transaction; the importer hands back each version
    it replaced and each it wrote, so the audit rows need no further reads."""
    report = await transfer.import_table(
        conn, table, apply=True, actor=actor, reason=reason, today=today
    )
    if report.applied:
        await iq.insert_change_audits(conn, audit_changes(report), actor=actor, reason=reason)
    return report


def audit_changes(report: transfer.ImportReport) -> list[tuple[str, Any, Any]]:
    """Added items: everything after; changed items: the changed fields before and after.
    Added items first, then changed ones, each in file order."""
    old_codes = set(report.before)
    written = sorted(report.written, key=lambda c: c.code in old_codes)  # stable
    out: list[tuple[str, Any, Any]] = []
    for after in written:
        old = report.before.get(after.code)
        fields = report.changes.get(after.code, []) if old else [*ITEM_FIELDS, "decision_doc"]
        out.append((after.code, _plain(old, fields) if old else None, _plain(after, fields)))
    return out


def _plain(cert: Certificate, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields and the effective date, as JSON values."""
    data: dict[str, Any] = msgspec.to_builtins(cert)
    return {f: data.get(f) for f in fields} | {"effective_from": data.get("effective_from")}


# What a stored preview keeps: the first so many of each list, and the counts.
STORED_ITEMS = 5_000
STORED_ERRORS = 1_000


def describe(report: transfer.ImportReport) -> dict[str, Any]:
    """What an import preview shows (stored with the batch): names, changed fields, errors,
    each list cut to its first entries; the counts are whole."""
    return {
        "added": [{"key": k, "name": report.names.get(k, k)} for k in report.added[:STORED_ITEMS]],
        "added_count": len(report.added),
        "changed": [
            {
                "code": code,
                "name": report.names.get(code, ""),
                "fields": [LABELS.get(f, f) for f in report.changes.get(code, [])],
                "diff": [
                    {"label": d.label, "old": d.old, "new": d.new}
                    for d in report.diffs.get(code, [])
                ],
            }
            for code in report.changed[:STORED_ITEMS]
        ],
        "changed_count": len(report.changed),
        "unchanged": len(report.unchanged),
        "errors": [{"row": e.row, "message": e.message} for e in report.errors[:STORED_ERRORS]],
        "error_count": len(report.errors),
        "warnings": [{"row": w.row, "message": w.message} for w in report.warnings[:STORED_ERRORS]],
        "warning_count": len(report.warnings),
        "applied": report.applied,
    }


def preview_view(described: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    """A described report in the shape of queries.imports.batch_page, for one page."""
    view: dict[str, Any] = {"unchanged": described.get("unchanged", 0)}
    for key, count in (
        ("added", "added_count"),
        ("changed", "changed_count"),
        ("errors", "error_count"),
        ("warnings", "warning_count"),
    ):
        items = described.get(key, [])
        view[count] = described.get(count, len(items))
        view[f"{key}_stored"] = len(items)
        view[key] = items[offset : offset + limit]
    return view


async def read_upload(request: Any) -> tuple[str, bytes] | str:
    """The uploaded file's name and bytes, or what is wrong with the upload."""
    form = await request.form()
    files = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return N_("请选择要上传的文件（CSV 或 XLSX）")
        name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:200]
        if not name.lower().endswith(FILE_TYPES):
            return N_("文件“%(name)s”不是 CSV 或 XLSX 文件") % {"name": name}
        data = await upload.read(MAX_UPLOAD + 1)
    finally:
        for f in files:
            await f.close()
    if len(data) > MAX_UPLOAD:
        return N_("文件超过 1 MB：请拆分后分批导入")
    if not data:
        return N_("文件是空的")
    return name, data


# ---- saying a message in the reader's language -------------------------------------------
# Messages are made in 简体 from msgids (N_), for the CLI and the stored import previews alike;
# a page says them in its reader's language by finding the msgid a message was made from.
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@functools.lru_cache(maxsize=4)
def _patterns(translations: Translations) -> tuple[tuple[re.Pattern[str], str, int], ...]:
    """Each translated msgid with parameters as a pattern, the most specific first."""
    catalogue: dict[Any, str] = getattr(translations, "_catalog", {})
    found = []
    for msgid in catalogue:
        if not isinstance(msgid, str) or "%(" not in msgid:
            continue
        parts = PLACEHOLDER.split(msgid)
        literal = "".join(parts[::2])
        if len(HAN.findall(literal)) < 3 or len(set(parts[1::2])) != len(parts[1::2]):
            continue
        regex = "".join(
            re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)
        )
        found.append((re.compile(regex + r"\Z", re.S), msgid, len(literal)))
    return tuple(sorted(found, key=lambda f: -f[2]))


def say(message: str, translations: Translations) -> str:
    """A message made from a msgid (with or without parameters) in the catalogue's language;
    its parameters are list data or what was typed: shown as they are (translate="no"), the
    column names among them translated. 简体 (no catalogue) gets the message itself."""
    if not getattr(translations, "_catalog", None) or not HAN.search(message):
        return message
    said = translations.gettext(message)
    if said != message:
        return Markup(escape(said))
    for pattern, msgid, _ in _patterns(translations):
        if m := pattern.match(message):
            values = {k: _param(v, translations) for k, v in m.groupdict().items()}
            return Markup(escape(translations.gettext(msgid))) % values
    return message  # not a message the catalogue knows


def _param(value: str, translations: Translations) -> Markup:
    said = translations.gettext(value)
    if said != value or not HAN.search(value):
        return escape(said)
    return Markup('<span translate="no">%s</span>') % value


# What a redirect says it did (?msg=<key>, parameters beside it): keys, not sentences; the
# page it lands on says them in the reader's language.
FLASHES = {
    "saved-version": N_("已保存：新版本自 %(day)s 起生效"),
    "added-item": N_("已新增事项 %(code)s"),
    "imported": N_("已导入：新增 %(added)s 项，变更 %(changed)s 项"),
    "added": N_("已新增 %(key)s"),
    "saved-new": N_("已保存为新版本"),
    "retired": N_("已停用"),
}


def flash(request: Any, **known: str) -> dict[str, Any]:
    """The landing page's flash for a ?msg= key of FLASHES (none for anything else: the staff
    pages' own keys and text are left to staffpages). `known`: parameters from the path."""
    said = FLASHES.get(request.query_params.get("msg", ""))
    if said is None:
        return {}
    names = PLACEHOLDER.findall(said)
    values = {n: known.get(n) or request.query_params.get(n, "")[:40] for n in names}
    return {"flash": speaks(request).gettext(said) % values}


def say_all(errors: Sequence[FieldError], translations: Translations) -> list[FieldError]:
    return [FieldError(e.field, say(e.message, translations)) for e in errors]
