"""Import and export of the list (CSV with BOM, XLSX, JSON): parse, validate, diff, apply."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

import asyncpg
import msgspec

from registry import audit, clock, sheets
from registry.models import (
    LEGAL_BASIS_LEVELS,
    REPLACEMENT_METHODS,
    Certificate,
    Department,
    Status,
)
from registry.queries import certificates as q
from registry.queries import departments as dq

# (field, Chinese header as official lists write it, accepted English header)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "编号"),
    ("name", "证明名称"),
    ("aliases", "别名"),
    ("status", "状态"),
    ("issuer", "开具单位"),
    ("demanded_by", "索要单位"),
    ("matters", "办理事项"),
    ("legal_basis", "设定依据"),
    ("legal_basis_level", "依据层级"),
    ("domain", "所属领域"),
    ("replacement", "取消后办理方式"),
    ("retain_reason", "保留原因"),
    ("decision_doc", "决定文号"),
    ("effective_from", "生效日期"),
    ("note", "备注"),
)
HEADERS = [zh for _, zh in COLUMNS]
HEADER_TO_FIELD = {zh: f for f, zh in COLUMNS} | {f: f for f, _ in COLUMNS}
LIST_FIELDS = ("aliases", "demanded_by", "matters")
# Fields whose difference makes a new version; the effective date alone does not.
COMPARED = (
    "name",
    "aliases",
    "status",
    "issuer",
    "demanded_by",
    "matters",
    "legal_basis",
    "legal_basis_level",
    "domain",
    "replacement",
    "retain_reason",
    "decision_doc",
    "note",
)
STATUS_WORDS = {
    "保留": Status.RETAINED,
    "retained": Status.RETAINED,
    "取消": Status.ABOLISHED,
    "abolished": Status.ABOLISHED,
}
METHOD_SYNONYMS = {
    "书面承诺": "申请人书面承诺",
    "声明": "申请人书面承诺",
    "信息共享": "数据共享",
    "信息核查": "数据共享",
    "内部核查": "部门间核查",
    "部门核查": "部门间核查",
    "证照": "现有证照核验",
    "凭有效证件": "现有证照核验",
}
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
SPLIT_RE = re.compile(r"[；;]")
DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


class RowError(msgspec.Struct):
    row: int
    message: str


class ParsedRow(msgspec.Struct):
    row: int
    cert: Certificate
    effective_from: dt.date
    # The columns the file has: a field whose column is absent keeps its current value.
    present: frozenset[str] = frozenset()


class ImportReport(msgspec.Struct, kw_only=True):
    added: list[str] = []
    changed: list[str] = []
    unchanged: list[str] = []
    errors: list[RowError] = []
    changes: dict[str, list[str]] = {}
    applied: bool = False

    def counts(self) -> dict[str, object]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "errors": [msgspec.to_builtins(e) for e in self.errors],
        }


# ---- validating rows ---------------------------------------------------------------------


def parse_rows(
    table: Sequence[Sequence[str]], *, today: dt.date
) -> tuple[list[ParsedRow], list[RowError]]:
    """Validate every row; row numbers are spreadsheet rows (the header is row 1)."""
    if not table:
        raise TransferError("文件是空的")
    header = [HEADER_TO_FIELD.get(h.strip().lstrip("\ufeff")) for h in table[0]]
    missing = {"name", "status"} - {h for h in header if h}
    if missing:
        names = "、".join(zh for f, zh in COLUMNS if f in missing)
        raise TransferError(f"缺少必需的列：{names}")
    parsed: list[ParsedRow] = []
    errors: list[RowError] = []
    seen_codes: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for i, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        raw = {f: sheets.unneutralise(c.strip()) for f, c in zip(header, cells, strict=False) if f}
        result = _parse_row(raw, today)
        if isinstance(result, str):
            errors.append(RowError(i, result))
            continue
        cert, eff = result
        for key, seen, label in (
            (cert.code, seen_codes, "编号"),
            (cert.name, seen_names, "证明名称"),
        ):
            if key and key in seen:
                errors.append(RowError(i, f"{label}“{key}”与第 {seen[key]} 行重复"))
                break
            if key:
                seen[key] = i
        else:
            parsed.append(ParsedRow(i, cert, eff, frozenset(f for f in header if f)))
    return parsed, errors


def _parse_row(raw: dict[str, str], today: dt.date) -> tuple[Certificate, dt.date] | str:
    name = raw.get("name", "")
    if not name:
        return "证明名称不能为空"
    status = STATUS_WORDS.get(raw.get("status", "").lower())
    if status is None:
        return f"状态“{raw.get('status', '')}”无法识别：应为“保留”或“取消”"
    code = raw.get("code", "")
    if code and not CODE_RE.match(code):
        return f"编号“{code}”格式不对：只能包含字母、数字、- 和 _"
    level = raw.get("legal_basis_level", "")
    if level and level not in LEGAL_BASIS_LEVELS:
        return f"依据层级“{level}”无法识别：应为 {'、'.join(LEGAL_BASIS_LEVELS)} 之一"
    if status is Status.RETAINED and not raw.get("legal_basis"):
        return "保留的证明事项必须写明设定依据"
    eff = parse_date(raw.get("effective_from", ""), today)
    if eff is None:
        return f"生效日期“{raw.get('effective_from')}”无法识别：应为 YYYY-MM-DD"
    lists = {f: split_list(raw.get(f, "")) for f in LIST_FIELDS}
    replacement = raw.get("replacement", "")
    cert = Certificate(
        code=code,
        name=name,
        status=status,
        issuer=raw.get("issuer", ""),
        legal_basis=raw.get("legal_basis", ""),
        legal_basis_level=level,
        domain=raw.get("domain", ""),
        replacement=replacement,
        replacement_methods=replacement_methods(replacement),
        retain_reason=raw.get("retain_reason", ""),
        decision_doc=raw.get("decision_doc", ""),
        note=raw.get("note", ""),
        effective_from=eff,
        **lists,
    )
    return cert, eff


def parse_date(text: str, today: dt.date) -> dt.date | None:
    if not text:
        return today
    m = DATE_RE.match(text.split(" ")[0])
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def split_list(text: str) -> list[str]:
    out: list[str] = []
    for part in SPLIT_RE.split(text):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


def replacement_methods(text: str) -> list[str]:
    """The standard methods a free-text 取消后办理方式 names, in a fixed order."""
    found = {m for m in REPLACEMENT_METHODS if m in text}
    found |= {m for word, m in METHOD_SYNONYMS.items() if word in text}
    return [m for m in REPLACEMENT_METHODS if m in found]


# ---- diff and apply ----------------------------------------------------------------------


async def diff(
    conn: asyncpg.Connection, rows: list[ParsedRow], report: ImportReport
) -> list[ParsedRow]:
    """Sort rows into added/changed/unchanged; return those that need a new version."""
    by_name = await q.codes_by_name(conn)
    pending: list[ParsedRow] = []
    seen: dict[str, int] = {}
    for r in rows:
        cert = r.cert
        if not cert.code:
            cert.code = by_name.get(cert.name, "")
        if cert.code and cert.code in seen:
            report.errors.append(
                RowError(r.row, f"与第 {seen[cert.code]} 行是同一事项（{cert.code}）")
            )
            continue
        seen[cert.code] = r.row
        latest = await q.get_latest(conn, cert.code) if cert.code else None
        if latest is None:
            report.added.append(cert.code or cert.name)
            pending.append(r)
            continue
        keep_absent_columns(cert, latest, r.present)
        changed = [f for f in COMPARED if getattr(latest, f) != getattr(cert, f)]
        if not changed:
            report.unchanged.append(cert.code)
        elif latest.effective_from and r.effective_from < latest.effective_from:
            report.errors.append(
                RowError(
                    r.row,
                    (
                        f"生效日期 {r.effective_from} 早于现行版本的生效日期"
                        f" {latest.effective_from}：不能改写已生效的历史"
                    ),
                )
            )
        else:
            report.changed.append(cert.code)
            report.changes[cert.code] = changed
            pending.append(r)
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
    rows, errors = parse_rows(table, today=today or clock.today())
    report.errors.extend(errors)
    async with conn.transaction():
        pending = await diff(conn, rows, report)
        report.errors.sort(key=lambda e: e.row)
        if not apply or report.errors or not pending:
            return report
        for r in pending:
            await _write_version(conn, r, actor=actor, reason=reason)
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


async def _write_version(
    conn: asyncpg.Connection, r: ParsedRow, *, actor: str, reason: str
) -> None:
    cert = r.cert
    if not cert.code:
        cert.code = await q.next_code(conn)
    latest = await q.get_latest(conn, cert.code)
    await q.insert_certificate(conn, cert.code)
    if latest is not None and latest.effective_from == r.effective_from:
        await q.supersede_version(conn, cert.code, r.effective_from)
    elif latest is not None:
        await q.close_version(conn, cert.code, r.effective_from)
    await q.insert_version(
        conn, cert, valid_from=r.effective_from, changed_by=actor, change_reason=reason
    )


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
                dep = Department(*(cells[idx[k]].strip() for k in ("code", "name", "kind")))
                n += await dq.upsert_department(conn, dep)
    return n


# ---- export ------------------------------------------------------------------------------


def to_cells(cert: Certificate) -> list[str]:
    out = []
    for field, _ in COLUMNS:
        value = getattr(cert, field)
        if field == "status":
            text = "保留" if value == Status.RETAINED else "取消"
        elif field in LIST_FIELDS:
            text = "；".join(value)
        elif isinstance(value, dt.date):
            text = value.isoformat()
        else:
            text = value or ""
        out.append(text)
    return out


def export_csv(certs: Iterable[Certificate]) -> bytes:
    return sheets.write_csv(HEADERS, (to_cells(c) for c in certs))


def export_xlsx(certs: Iterable[Certificate], title: str = "证明事项清单") -> bytes:
    return sheets.write_xlsx(HEADERS, (to_cells(c) for c in certs), title)


def export_json(certs: Iterable[Certificate]) -> bytes:
    return msgspec.json.encode(list(certs))


read_table = sheets.read_table
read_file = sheets.read_file
TransferError = sheets.SheetError
