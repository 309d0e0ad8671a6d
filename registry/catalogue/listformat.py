"""The list's file format: columns, row validation, cells (design §4; docs/import-format.md).

Pure: no database, no files. transfer.py diffs and writes what this accepts."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence

import msgspec

from registry.catalogue import sheets
from registry.catalogue.models import (
    FIELD_LABELS,
    LEGAL_BASIS_LEVELS,
    METHOD_KINDS,
    REPLACEMENT_KINDS,
    REPLACEMENT_METHODS,
    Certificate,
    Status,
)
from registry.infra import textclean
from registry.infra.i18n import N_

# (field, Chinese header as official lists write it); the field name is accepted as a header.
COLUMNS: tuple[tuple[str, str], ...] = tuple(FIELD_LABELS.items())
HEADERS = [zh for _, zh in COLUMNS]
HEADER_TO_FIELD = {zh: f for f, zh in COLUMNS} | {f: f for f, _ in COLUMNS}
LIST_FIELDS = ("aliases", "demanded_by", "matters")
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
# A kind as a file may write it: the label or the code.
KIND_WORDS = {label: code for code, label in REPLACEMENT_KINDS.items()} | {
    code: code for code in REPLACEMENT_KINDS
}
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
SPLIT_RE = re.compile(r"[；;]")
DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
TransferError = sheets.SheetError


class RowError(msgspec.Struct):
    row: int
    message: str


class ParsedRow(msgspec.Struct):
    row: int
    cert: Certificate
    effective_from: dt.date
    # The columns the file has: a field whose column is absent keeps its current value.
    present: frozenset[str] = frozenset()


# ---- validating rows ---------------------------------------------------------------------


def parse_rows(
    table: Sequence[Sequence[str]], *, today: dt.date
) -> tuple[list[ParsedRow], list[RowError]]:
    """Validate every row; row numbers are spreadsheet rows (the header is row 1)."""
    if not table:
        raise TransferError(N_("文件是空的"))
    header = [HEADER_TO_FIELD.get(h.strip().lstrip("\ufeff")) for h in table[0]]
    missing = {"name", "status"} - {h for h in header if h}
    if missing:
        names = "、".join(zh for f, zh in COLUMNS if f in missing)
        raise TransferError(N_("缺少必需的列：%(names)s") % {"names": names})
    parsed: list[ParsedRow] = []
    errors: list[RowError] = []
    seen_codes: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    present = frozenset(f for f in header if f)
    columns = [(j, f) for j, f in enumerate(header) if f]
    for i, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        raw = _raw(cells, columns)
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
                said = N_("%(label)s“%(key)s”与第 %(row)s 行重复")
                errors.append(RowError(i, said % {"label": label, "key": key, "row": seen[key]}))
                break
            if key:
                seen[key] = i
        else:
            parsed.append(ParsedRow(i, cert, eff, present))
    return parsed, errors


def _raw(cells: Sequence[str], columns: list[tuple[int, str]]) -> dict[str, str]:
    """The row's known columns, trimmed, with our export's formula quote undone."""
    raw = {}
    n = len(cells)
    for j, field in columns:
        if j < n:
            text = cells[j].strip()
            raw[field] = sheets.unneutralise(text) if text[:1] == "'" else text
    return raw


def _parse_row(raw: dict[str, str], today: dt.date) -> tuple[Certificate, dt.date] | str:
    # XLSX cannot hold these and the exports would break on them (textclean.py); one search
    # per row, then find the column.
    if not textclean.is_clean("".join(raw.values())):
        field, ch = next((f, c) for f, t in raw.items() if (c := textclean.bad_char(t)))
        said = N_("%(column)s含有不可见的控制字符，请删除后重试（U+%(code)s）")  # textclean.MESSAGE
        return said % {"column": FIELD_LABELS[field], "code": f"{ord(ch):04X}"}
    name = raw.get("name", "")
    if not name:
        return N_("证明名称不能为空")
    status = STATUS_WORDS.get(raw.get("status", "").lower())
    if status is None:
        return N_("状态“%(status)s”无法识别：应为“保留”或“取消”") % {
            "status": raw.get("status", "")
        }
    code = raw.get("code", "")
    if code and not CODE_RE.match(code):
        return N_("编号“%(code)s”格式不对：只能包含字母、数字、- 和 _") % {"code": code}
    level = raw.get("legal_basis_level", "")
    if level and level not in LEGAL_BASIS_LEVELS:
        said = N_("依据层级“%(level)s”无法识别：应为 %(levels)s 之一")
        return said % {"level": level, "levels": "、".join(LEGAL_BASIS_LEVELS)}
    if status is Status.RETAINED and not raw.get("legal_basis"):
        return N_("保留的证明事项必须写明设定依据")
    eff = parse_date(raw.get("effective_from", ""), today)
    if eff is None:
        said = N_("生效日期“%(day)s”无法识别：应为 YYYY-MM-DD")
        return said % {"day": raw.get("effective_from")}
    lists = {f: split_list(raw.get(f, "")) for f in LIST_FIELDS}
    replacement = raw.get("replacement", "")
    written = raw.get("replacement_kind", "")
    kind = KIND_WORDS.get(written) or KIND_WORDS.get(written.lower(), "")
    if written and not kind:
        said = N_("办理方式类型“%(kind)s”无法识别：应为 %(kinds)s 之一")
        return said % {"kind": written, "kinds": "、".join(REPLACEMENT_KINDS.values())}
    if kind and status is Status.RETAINED:
        return N_("保留的证明事项没有办理方式类型：请清空“办理方式类型”")
    if not kind and status is Status.ABOLISHED:
        kind = replacement_kind_of(replacement)
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
        replacement_kind=kind,
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
    if "；" not in text and ";" not in text:  # most cells: one value or none
        text = text.strip()
        return [text] if text else []
    out: list[str] = []
    for part in SPLIT_RE.split(text):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


def replacement_methods(text: str) -> list[str]:
    """The standard methods a free-text 取消后办理方式 names, in a fixed order."""
    return list(_methods(text)) if text else []


@functools.lru_cache(maxsize=4096)  # lists repeat a few phrasings thousands of times
def _methods(text: str) -> tuple[str, ...]:
    found = {m for m in REPLACEMENT_METHODS if m in text}
    found |= {m for word, m in METHOD_SYNONYMS.items() if word in text}
    return tuple(m for m in REPLACEMENT_METHODS if m in found)


def replacement_kinds(text: str) -> tuple[str, ...]:
    """The kinds of the methods a 取消后办理方式 text names, in REPLACEMENT_KINDS order."""
    found = {METHOD_KINDS[m] for m in _methods(text)} if text else set()
    return tuple(k for k in REPLACEMENT_KINDS if k in found)


def replacement_kind_of(text: str) -> str:
    """The kind a text names when it names exactly one; "" when several or none."""
    kinds = replacement_kinds(text)
    return kinds[0] if len(kinds) == 1 else ""


# Why an abolished item was left without a kind (a row notice: the import goes on).
KIND_SEVERAL = N_("取消后办理方式写了几种办理方式类型（%(kinds)s）：请在“办理方式类型”列写明一种")
KIND_NONE = N_("未能从取消后办理方式看出办理方式类型：请在“办理方式类型”列填写")


def kind_notice(cert: Certificate) -> str:
    """What to tell about an abolished item without a kind; "" when nothing is missing."""
    if cert.status != Status.ABOLISHED or cert.replacement_kind:
        return ""
    kinds = replacement_kinds(cert.replacement)
    if len(kinds) > 1:
        return KIND_SEVERAL % {"kinds": "、".join(REPLACEMENT_KINDS[k] for k in kinds)}
    return KIND_NONE


def to_cells(cert: Certificate) -> list[str]:
    out = []
    for field, _ in COLUMNS:
        value = getattr(cert, field)
        if field == "status":
            text = "保留" if value == Status.RETAINED else "取消"
        elif field in LIST_FIELDS:
            text = "；".join(value)
        elif field == "replacement_kind":
            text = REPLACEMENT_KINDS.get(value, value)
        elif isinstance(value, dt.date):
            text = value.isoformat()
        else:
            text = value or ""
        out.append(text)
    return out
