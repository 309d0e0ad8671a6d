"""msgspec Structs and StrEnums shared by routes, queries and templates."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import msgspec


class Status(StrEnum):
    RETAINED = "retained"
    ABOLISHED = "abolished"


STATUS_LABELS = {Status.RETAINED: "保留", Status.ABOLISHED: "取消"}

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


# What a version did, judged against the version of the same code just before it.
CHANGE_LABELS = {
    "initial": "列入初始清单",
    "added": "新增",
    "abolished": "取消",
    "restored": "恢复保留",
    "amended": "修改",
    "corrected": "更正",
}
# Field labels for diffs, as official lists name the columns (listformat.COLUMNS).
FIELD_LABELS = {
    "name": "证明名称",
    "aliases": "别名",
    "status": "状态",
    "issuer": "开具单位",
    "demanded_by": "索要单位",
    "matters": "办理事项",
    "legal_basis": "设定依据",
    "legal_basis_level": "依据层级",
    "domain": "所属领域",
    "replacement": "取消后办理方式",
    "retain_reason": "保留原因",
    "decision_doc": "决定文号",
    "effective_from": "生效日期",
    "note": "备注",
}
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
    on: dt.date | None = None
    page: int = 1
    per_page: int = 50


class FieldError(msgspec.Struct):
    field: str
    message: str


class ErrorBody(msgspec.Struct):
    status: int
    error: str
    errors: list[FieldError] = []


# ---- complaints ------------------------------------------------------------------------


class ComplaintStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ASSIGNED = "assigned"
    REPLIED = "replied"
    CLOSED = "closed"


COMPLAINT_STATUS_LABELS = {
    ComplaintStatus.SUBMITTED: "已提交，待受理",
    ComplaintStatus.ACCEPTED: "已受理",
    ComplaintStatus.REJECTED: "不予受理",
    ComplaintStatus.ASSIGNED: "已转办，部门办理中",
    ComplaintStatus.REPLIED: "部门已反馈",
    ComplaintStatus.CLOSED: "已办结",
}


class Classification(StrEnum):
    ABOLISHED = "abolished"
    UNLISTED = "unlisted"
    RETAINED_OUT_OF_SCOPE = "retained_out_of_scope"
    RETAINED_IN_SCOPE = "retained_in_scope"
    OUT_OF_SCOPE = "out_of_scope"  # a licence or identity document, not a certificate
    UNDETERMINED = "undetermined"  # depends on the matter: the office sorts it out


CLASSIFICATION_LABELS = {
    Classification.ABOLISHED: "索要已取消的证明",
    Classification.UNLISTED: "索要清单之外的证明",
    Classification.RETAINED_OUT_OF_SCOPE: "保留证明，但用于清单未列明的事项",
    Classification.RETAINED_IN_SCOPE: "保留证明，在列明事项中索要",
    Classification.OUT_OF_SCOPE: "证件（不是证明），由办公室核实",
    Classification.UNDETERMINED: "要看办理事项，由办公室核实",
}


class Disclosure(StrEnum):
    NAMED = "named"
    CONFIDENTIAL = "confidential"
    ANONYMOUS = "anonymous"


class ContactIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str | None = None
    phone: str | None = None
    email: str | None = None


class ComplaintIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A complaint as sent: every field optional here so each gets its own clear error."""

    department: str | None = None
    department_other: str | None = None
    certificate_name: str | None = None
    matter: str | None = None
    demanded_on: str | None = None
    place: str | None = None
    description: str | None = None
    disclosure: str | None = None
    contact: ContactIn | None = None


class NewComplaint(msgspec.Struct, kw_only=True):
    """A complaint that passed validation."""

    department_code: str | None
    department_other: str
    certificate_name: str
    matter: str
    demanded_on: dt.date
    place: str
    description: str
    disclosure: Disclosure
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""


class Receipt(msgspec.Struct, kw_only=True):
    reference: str
    access_code: str
    status: ComplaintStatus
    classification: Classification
    deadline: dt.date


class DeadlineReason(StrEnum):
    """What set the current reply deadline (with reply_from and reply_days, its parameters)."""

    FILED = "filed"
    ACCEPTED = "accepted"
    EXTENDED = "extended"
    REOPENED = "reopened"


class SatisfactionBy(StrEnum):
    OFFICE = "office"
    COMPLAINANT = "complainant"


# A public event's heading, by kind; the complainant's own follow-up reads as their rating.
EVENT_TITLES = {
    "submitted": "投诉已提交",
    "accept": "已受理",
    "reject": "不予受理",
    "assign": "已转办",
    "extend": "已延期",
    "reply": "部门反馈",
    "close": "已办结",
    "follow_up": "已回访",
    "rating": "您的评价",
    "deadline": "期限调整",
    "note": "内部备注",
}


class TimelineEvent(msgspec.Struct, kw_only=True):
    at: dt.datetime
    kind: str
    status_to: str | None
    note: str
    # "complainant" for what the complainant did (filing, their own rating), else "staff".
    by: str = "staff"

    @property
    def title(self) -> str:
        if self.kind == "follow_up" and self.by == SatisfactionBy.COMPLAINANT:
            return EVENT_TITLES["rating"]
        return EVENT_TITLES.get(self.kind, self.kind)


class ComplaintPublic(msgspec.Struct, kw_only=True):
    """What the complainant sees: never contact data."""

    reference: str
    status: ComplaintStatus
    classification: Classification
    certificate_name: str
    certificate_code: str | None
    department: str
    matter: str
    demanded_on: dt.date
    place: str
    description: str
    submitted_at: dt.datetime
    accept_due: dt.date
    reply_due: dt.date
    # The deadline rests on computed holidays: that year's official notice is not loaded yet.
    deadline_provisional: bool = False
    # Why reply_due is what it is: counted deadline_days working days after deadline_from.
    deadline_reason: DeadlineReason = DeadlineReason.FILED
    deadline_days: int = 15
    deadline_from: dt.date | None = None
    extension_reason: str = ""  # the current deadline's extension; cleared by a reopen
    reopened: bool = False
    closed_at: dt.datetime | None = None
    result: str = ""  # written for the complainant at closing
    # The level recorded for the current closing (None before it, or once it reopens).
    satisfaction: str | None = None
    satisfaction_by: SatisfactionBy | None = None
    may_rate: bool = False  # closed and not yet rated: the tracking page offers the form
    may_reopen: bool = False  # an unsatisfied rating now would send it back (once only)
    timeline: list[TimelineEvent] = []


# ---- staff -----------------------------------------------------------------------------


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    DEPARTMENT = "department"


ROLE_LABELS = {Role.ADMIN: "系统管理员", Role.SUPERVISOR: "监督部门", Role.DEPARTMENT: "承办部门"}


class StaffUser(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    username: str
    display_name: str
    role: Role
    department_code: str | None
    active: bool = True
