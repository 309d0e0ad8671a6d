"""Import and export of the list (CSV with BOM, XLSX, JSON): diff a file against the register
and write it set-based, a fixed number of statements per batch of rows, never per row.

The file format itself (columns, row validation, cells) is listformat.py; files are sheets.py."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import asyncpg
import msgspec

from registry.catalogue import sheets
from registry.catalogue.listformat import (
    CODE_RE,
    COLUMNS,
    HEADERS,
    LIST_FIELDS,
    ParsedRow,
    RowError,
    TransferError,
    kind_notice,
    parse_date,
    parse_rows,
    replacement_kind_of,
    replacement_methods,
    split_list,
    to_cells,
)
from registry.catalogue.models import (
    COMPARED,
    Certificate,
    Department,
    FieldChange,
    Status,
    field_changes,
)
from registry.catalogue.queries import departments as dq
from registry.catalogue.queries import imports as iq
from registry.infra import audit, clock
from registry.infra.i18n import N_

# Row messages (msgids: the import preview shows them in the reader's language).
SAME_ITEM = N_("与第 %(row)s 行是同一事项（%(code)s）")
BACKDATED = N_("生效日期 %(day)s 早于现行版本的生效日期 %(current)s：不能改写已生效的历史")

__all__ = [
    "CODE_RE",
    "COLUMNS",
    "COMPARED",
    "HEADERS",
    "LIST_FIELDS",
    "ImportReport",
    "ParsedRow",
    "RowError",
    "TransferError",
    "import_table",
    "parse_date",
    "parse_rows",
    "read_file",
    "read_table",
    "replacement_methods",
    "split_list",
    "to_cells",
]

BATCH = 5_000  # rows a statement writes: a few MB of parameters
THREAD_FROM = 2_000  # rows from which validating and diffing leave the event loop
NEW_CODE_PREFIX = "CY-ZM-"
DIFF_KEPT = 5_000  # changed items whose field diffs a report keeps (what a preview stores)


class ImportReport(msgspec.Struct, kw_only=True):
    added: list[str] = []
    changed: list[str] = []
    unchanged: list[str] = []
    errors: list[RowError] = []
    # Row notices that do not stop the import: abolished items left without a kind.
    warnings: list[RowError] = []
    changes: dict[str, list[str]] = {}
    applied: bool = False
    # For previews and audit rows, not part of the --json report:
    names: dict[str, str] = {}  # added/changed key -> the item's name in the file
    written: list[Certificate] = []  # after an apply: each new version, its code assigned
    before: dict[str, Certificate] = {}  # after an apply: the version each change replaced
    diffs: dict[str, list[FieldChange]] = {}  # the first DIFF_KEPT changed items: old -> new

    def counts(self) -> dict[str, object]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "errors": [msgspec.to_builtins(e) for e in self.errors],
            "warnings": [msgspec.to_builtins(w) for w in self.warnings],
        }


class _Pending(NamedTuple):
    row: ParsedRow
    latest: Certificate | None


# ---- diff --------------------------------------------------------------------------------


async def diff(
    conn: asyncpg.Connection, rows: list[ParsedRow], report: ImportReport
) -> list[_Pending]:
    """Sort rows into added/changed/unchanged; return those that need a new version. The
    current versions of every item the file names come in one query."""
    codes = [r.cert.code for r in rows if r.cert.code]
    names = [r.cert.name for r in rows if not r.cert.code]
    current = await iq.latest_of(conn, codes, names)
    if len(rows) >= THREAD_FROM:
        return await asyncio.to_thread(_diff, rows, current, set(names), report)
    return _diff(rows, current, set(names), report)


def _diff(
    rows: list[ParsedRow], current: list[Certificate], names: set[str], report: ImportReport
) -> list[_Pending]:
    by_code = {c.code: c for c in current}
    by_name = {c.name: c.code for c in current if c.name in names}  # by code: the last wins
    pending: list[_Pending] = []
    seen: dict[str, int] = {}
    for r in rows:
        cert = r.cert
        if not cert.code:
            cert.code = by_name.get(cert.name, "")
        if cert.code and cert.code in seen:
            report.errors.append(
                RowError(r.row, SAME_ITEM % {"row": seen[cert.code], "code": cert.code})
            )
            continue
        seen[cert.code] = r.row
        latest = by_code.get(cert.code) if cert.code else None
        if latest is not None:
            keep_absent_columns(cert, latest, r.present)
        if notice := kind_notice(cert):
            report.warnings.append(RowError(r.row, notice))
        if latest is None:
            report.added.append(cert.code or cert.name)
            report.names[cert.code or cert.name] = cert.name
            pending.append(_Pending(r, None))
            continue
        changed = [f for f in COMPARED if getattr(latest, f) != getattr(cert, f)]
        if not changed:
            report.unchanged.append(cert.code)
        elif latest.effective_from and r.effective_from < latest.effective_from:
            report.errors.append(
                RowError(
                    r.row,
                    BACKDATED % {"day": r.effective_from, "current": latest.effective_from},
                )
            )
        else:
            report.changed.append(cert.code)
            report.changes[cert.code] = changed
            if len(report.diffs) < DIFF_KEPT:
                report.diffs[cert.code] = field_changes(latest, cert, tuple(changed))
            report.names[cert.code] = cert.name
            pending.append(_Pending(r, latest))
    return pending


def keep_absent_columns(cert: Certificate, latest: Certificate, present: frozenset[str]) -> None:
    """A file without a column says nothing about that field: it keeps its current value."""
    if not present:
        return
    for f in COMPARED:
        if f not in present:
            setattr(cert, f, getattr(latest, f))
    if "replacement" not in present:
        cert.replacement_methods = latest.replacement_methods
    # A file without the kind column (an old file) keeps the item's kind while the text and
    # status it was set for stay; a changed text or status gets the kind derived from it.
    if "replacement_kind" not in present and (
        cert.replacement != latest.replacement or cert.status != latest.status
    ):
        abolished = cert.status == Status.ABOLISHED
        cert.replacement_kind = replacement_kind_of(cert.replacement) if abolished else ""


# ---- apply -------------------------------------------------------------------------------


async def import_table(
    conn: asyncpg.Connection,
    table: Sequence[Sequence[str]],
    *,
    apply: bool,
    actor: str,
    reason: str = "导入",
    today: dt.date | None = None,
) -> ImportReport:
    """Dry-run unless apply; a file with any error applies nothing; one transaction."""
    report = ImportReport()
    day = today or clock.today()
    if len(table) > THREAD_FROM:  # seconds of validating: off the event loop
        rows, errors = await asyncio.to_thread(parse_rows, table, today=day)
    else:
        rows, errors = parse_rows(table, today=day)
    report.errors.extend(errors)
    async with conn.transaction():
        if apply:
            await iq.lock_list(conn)  # the diff below stays true until the commit
        pending = await diff(conn, rows, report)
        report.errors.sort(key=lambda e: e.row)
        if not apply or report.errors or not pending:
            return report
        await _write(conn, pending, report, actor=actor, reason=reason)
        await audit.record(
            conn,
            actor=actor,
            action="list.import",
            entity="certificate_list",
            after={"added": len(report.added), "changed": len(report.changed)},
            reason=reason,
        )
        report.applied = True
    return report


async def _write(
    conn: asyncpg.Connection,
    pending: list[_Pending],
    report: ImportReport,
    *,
    actor: str,
    reason: str,
) -> None:
    """Per batch: one UPDATE ends or supersedes the versions being replaced, one INSERT adds
    the new certificates and versions."""
    await _assign_codes(conn, pending)
    initial = await iq.register_empty(conn)
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        ends = [
            iq.VersionEnd(p.row.cert.code, p.row.effective_from, correction)
            for p in batch
            if p.latest is not None
            for correction in [p.latest.effective_from == p.row.effective_from]
        ]
        await iq.end_versions(conn, ends)
        await iq.insert_versions(
            conn,
            [p.row.cert for p in batch],
            changed_by=actor,
            change_reason=reason,
            initial=initial,
        )
    report.written = [p.row.cert for p in pending]
    report.before = {p.latest.code: p.latest for p in pending if p.latest is not None}


async def _assign_codes(conn: asyncpg.Connection, pending: list[_Pending]) -> None:
    """New items without a code get the next free CY-ZM-NNN, in file order."""
    taken = {p.row.cert.code for p in pending if p.row.cert.code}
    n = 0
    for p in pending:
        if p.row.cert.code:
            continue
        if not n:
            n = await iq.next_code_number(conn, NEW_CODE_PREFIX)
        while f"{NEW_CODE_PREFIX}{n:03d}" in taken:
            n += 1
        p.row.cert.code = f"{NEW_CODE_PREFIX}{n:03d}"
        n += 1


async def import_departments(conn: asyncpg.Connection, table: Sequence[Sequence[str]]) -> int:
    """Departments file: 编码,名称,类型 (or code,name,kind); returns rows changed."""
    header = [h.strip().lstrip("\ufeff") for h in table[0]]
    idx = {
        k: header.index(zh) if zh in header else header.index(k)
        for k, zh in (("code", "编码"), ("name", "名称"), ("kind", "类型"))
    }
    n = 0
    async with conn.transaction():
        for cells in table[1:]:
            if any(c.strip() for c in cells):
                got = [cells[i].strip() if i < len(cells) else "" for i in idx.values()]
                dep = Department(*got)
                n += await dq.upsert_department(conn, dep)
    return n


# ---- export ------------------------------------------------------------------------------


def export_csv(certs: Iterable[Certificate]) -> bytes:
    return sheets.write_csv(HEADERS, (to_cells(c) for c in certs))


def export_xlsx(certs: Iterable[Certificate], title: str = "证明事项清单") -> bytes:
    return sheets.write_xlsx(HEADERS, (to_cells(c) for c in certs), title)


def export_json(certs: Iterable[Certificate]) -> bytes:
    return msgspec.json.encode(list(certs))


read_table = sheets.read_table
read_file = sheets.read_file
