"""List administration in the browser: form <-> import row, and an audited apply.

Edits, additions and browser imports all go through transfer.import_table, so a form obeys
exactly the importer's rules (legal basis for retained items, dates, levels, versions)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import asyncpg
import msgspec

from registry import audit, clock, transfer
from registry.models import Certificate, FieldError
from registry.queries import certificates as cq

LABELS = {field: zh for field, zh in transfer.COLUMNS} | {"reason": "变更理由"}
# The item's own fields, as the edit form shows them.
ITEM_FIELDS = tuple(f for f in transfer.COMPARED if f != "decision_doc")  # asked separately
# What every change must state: the decision, from when, and why.
CHANGE_FIELDS = ("decision_doc", "effective_from", "reason")
LIMITS = {"name": 200, "code": 40, "effective_from": 10, "decision_doc": 200}
LIST_SEPARATORS = re.compile(r"[\r\n；;]+")
ALIAS_SEPARATORS = re.compile(r"[\r\n；;、]+")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Which form field an importer message is about (checked in this order).
MESSAGE_FIELDS = (
    ("证明名称", "name"),
    ("状态", "status"),
    ("编号", "code"),
    ("依据层级", "legal_basis_level"),
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
        errors.append(FieldError("decision_doc", "请填写决定文号（依据哪份文件作出这次变更）"))
    eff = values.get("effective_from", "")
    if not eff:
        errors.append(FieldError("effective_from", "请填写生效日期"))
    elif not ISO_DATE.match(eff) or transfer.parse_date(eff, today) is None:
        errors.append(FieldError("effective_from", f"生效日期“{eff}”无法识别：应为 YYYY-MM-DD"))
    if not values.get("reason"):
        errors.append(FieldError("reason", "请填写变更理由"))
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
    return [list(transfer.HEADERS), [row[field] for field, _ in transfer.COLUMNS]]


def field_errors(report: transfer.ImportReport) -> list[FieldError]:
    """The importer's row messages, each attached to the field it is about."""
    out = []
    for e in report.errors:
        field = next((f for word, f in MESSAGE_FIELDS if word in e.message), "")
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

    The caller holds the list lock and a transaction, so the dry-run's snapshot of the items
    about to change is exactly what the apply replaces."""
    preview = await transfer.import_table(conn, table, apply=False, actor=actor, today=today)
    if preview.errors or not (preview.added or preview.changed):
        return preview
    before: dict[str, Certificate] = {}
    for code in preview.changed:
        latest = await cq.get_latest(conn, code)
        if latest is not None:
            before[code] = latest
    report = await transfer.import_table(
        conn, table, apply=True, actor=actor, reason=reason, today=today
    )
    if report.applied:
        await _audit_changes(conn, report, before, actor=actor, reason=reason)
    return report


async def _audit_changes(
    conn: asyncpg.Connection,
    report: transfer.ImportReport,
    before: Mapping[str, Certificate],
    *,
    actor: str,
    reason: str,
) -> None:
    """Added items: everything after; changed items: the changed fields before and after."""
    codes = await cq.codes_by_name(conn)
    added = [k if await cq.get_latest(conn, k) else codes.get(k, k) for k in report.added]
    for code in [*added, *report.changed]:
        after = await cq.get_latest(conn, code)
        assert after is not None
        old = before.get(code)
        fields = report.changes.get(code, []) if old else [*ITEM_FIELDS, "decision_doc"]
        await audit.record(
            conn,
            actor=actor,
            action="list.change",
            entity="certificate",
            entity_id=code,
            before=_plain(old, fields) if old else None,
            after=_plain(after, fields),
            reason=reason,
        )


def _plain(cert: Certificate, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields and the effective date, as JSON values."""
    data: dict[str, Any] = msgspec.to_builtins(cert)
    return {f: data.get(f) for f in fields} | {"effective_from": data.get("effective_from")}


async def describe(
    conn: asyncpg.Connection, report: transfer.ImportReport, table: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """What an import preview shows (stored with the batch): names, changed fields, errors."""
    parsed, _ = transfer.parse_rows(table, today=clock.today())
    names = {r.cert.code or r.cert.name: r.cert.name for r in parsed}
    current = {code: name for name, code in (await cq.codes_by_name(conn)).items()}
    return {
        "added": [{"key": k, "name": names.get(k, k)} for k in report.added],
        "changed": [
            {
                "code": code,
                "name": names.get(code) or current.get(code, ""),
                "fields": [LABELS.get(f, f) for f in report.changes.get(code, [])],
            }
            for code in report.changed
        ],
        "unchanged": len(report.unchanged),
        "errors": [{"row": e.row, "message": e.message} for e in report.errors],
        "applied": report.applied,
    }
