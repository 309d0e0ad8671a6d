"""The list: statuses, items, versions and the labels a reader sees."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import msgspec

from registry.infra.i18n import N_


class Status(StrEnum):
    RETAINED = "retained"
    ABOLISHED = "abolished"


STATUS_LABELS = {Status.RETAINED: N_("保留"), Status.ABOLISHED: N_("取消")}  # msgids

LEGAL_BASIS_LEVELS = ("法律", "行政法规", "国务院决定", "地方性法规", "规章", "规范性文件", "无")
# Levels that may found a certificate after 国办发〔2018〕47号.
STATUTORY_LEVELS = ("法律", "行政法规", "国务院决定", "地方性法规")

REPLACEMENT_METHODS = (
    "直接取消",
    "申请人书面承诺",
    "告知承诺制",
    "部门间核查",
    "数据共享",
    "现有证照核验",
    "调整开具单位",
)
# The replacement's kind (issue 15): code -> label (msgids). The code is what the database,
# the API and the kind= filter use; files and pages show the label.
REPLACEMENT_KINDS = {
    "cancelled": N_("直接取消"),
    "commitment": N_("告知承诺"),
    "verification": N_("部门间核查"),
    "data_sharing": N_("数据共享核验"),
    "licence_check": N_("证照核验"),
    "other": N_("其他"),
}
# The kind each standard method is of: a text whose methods are all of one kind has that kind.
METHOD_KINDS = {
    "直接取消": "cancelled",
    "申请人书面承诺": "commitment",
    "告知承诺制": "commitment",
    "部门间核查": "verification",
    "数据共享": "data_sharing",
    "现有证照核验": "licence_check",
    "调整开具单位": "other",
}


class DepartmentKind(StrEnum):
    COUNTY = "county"
    TOWN = "town"
    STREET = "street"
    OTHER = "other"


class Department(msgspec.Struct, frozen=True):
    code: str
    name: str
    kind: str


class Certificate(msgspec.Struct, kw_only=True):
    """One certificate as a version of the list states it."""

    code: str
    name: str
    status: Status
    aliases: list[str] = []
    issuer: str = ""
    demanded_by: list[str] = []
    matters: list[str] = []
    legal_basis: str = ""
    legal_basis_level: str = ""
    domain: str = ""
    replacement: str = ""
    replacement_methods: list[str] = []
    replacement_kind: str = ""  # a REPLACEMENT_KINDS code; "" for retained items
    retain_reason: str = ""
    decision_doc: str = ""
    effective_from: dt.date | None = None
    note: str = ""


class FieldChange(msgspec.Struct, kw_only=True):
    """One field a version changed: its Chinese label, the old and the new text."""

    field: str
    label: str
    old: str
    new: str


class Version(msgspec.Struct, kw_only=True):
    """One row of an item's public history: what changed and the public reason, never who
    made the change (that is in the audit log, for staff)."""

    id: int
    valid_from: dt.date
    valid_to: dt.date | None
    name: str
    status: Status
    change: str  # initial | added | abolished | restored | amended | corrected
    change_label: str
    change_reason: str
    decision_doc: str
    recorded_at: dt.datetime
    superseded_at: dt.datetime | None = None
    changes: list[FieldChange] = []


# What a version did, judged against the version of the same code just before it (the JSON
# API's words; pages say them through _macros/certificates.html change_word).
CHANGE_LABELS = {
    "initial": "列入初始清单",
    "added": "新增",
    "abolished": "取消",
    "restored": "恢复保留",
    "amended": "修改",
    "corrected": "更正",
}
# The list's fields as official lists name them, in their order: the file columns
# (listformat.COLUMNS) and the labels of diffs (msgids: pages translate them as they render).
FIELD_LABELS = {
    "code": N_("编号"),
    "name": N_("证明名称"),
    "aliases": N_("别名"),
    "status": N_("状态"),
    "issuer": N_("开具单位"),
    "demanded_by": N_("索要单位"),
    "matters": N_("办理事项"),
    "legal_basis": N_("设定依据"),
    "legal_basis_level": N_("依据层级"),
    "domain": N_("所属领域"),
    "replacement": N_("取消后办理方式"),
    "replacement_kind": N_("办理方式类型"),
    "retain_reason": N_("保留原因"),
    "decision_doc": N_("决定文号"),
    "effective_from": N_("生效日期"),
    "note": N_("备注"),
}
# Fields whose difference makes a new version; the code and effective date alone do not.
COMPARED = tuple(f for f in FIELD_LABELS if f not in ("code", "effective_from"))
DIFF_TEXT = 300  # characters of one side of a diff kept; a longer value is cut with "…"


def field_text(value: object) -> str:
    """A field value as a reader sees it: lists joined with ；, a status in Chinese."""
    if isinstance(value, Status):
        text = STATUS_LABELS[value]
    elif isinstance(value, list | tuple):
        text = "；".join(str(v) for v in value)
    elif value is None:
        text = ""
    else:
        text = str(value)
    return text if len(text) <= DIFF_TEXT else text[: DIFF_TEXT - 1] + "…"


def field_changes(old: object, new: object, fields: tuple[str, ...]) -> list[FieldChange]:
    """The fields whose values differ between two versions (any objects with those fields)."""
    out = []
    for f in fields:
        a, b = getattr(old, f), getattr(new, f)
        if a != b:
            if f == "replacement_kind":  # the label, as files and pages show a kind
                a, b = REPLACEMENT_KINDS.get(a, a), REPLACEMENT_KINDS.get(b, b)
            label = FIELD_LABELS.get(f, f)
            out.append(FieldChange(field=f, label=label, old=field_text(a), new=field_text(b)))
    return out


class CertificateDetail(Certificate, kw_only=True):
    history: list[Version] = []


class Summary(msgspec.Struct, kw_only=True):
    reviewed: int
    abolished: int
    retained: int
    abolished_rate: float
    as_of: dt.date


class CertificatePage(msgspec.Struct, kw_only=True):
    items: list[Certificate]
    total: int
    page: int
    per_page: int


class ListFilters(msgspec.Struct, kw_only=True, frozen=True):
    status: Status | None = None
    q: str | None = None
    department: str | None = None
    domain: str | None = None
    replacement: str | None = None
    kind: str | None = None
    on: dt.date | None = None
    page: int = 1
    per_page: int = 50
