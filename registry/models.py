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


class Version(msgspec.Struct, kw_only=True):
    """One row of an item's history."""

    id: int
    valid_from: dt.date
    valid_to: dt.date | None
    name: str
    status: Status
    changed_by: str
    change_reason: str
    decision_doc: str
    recorded_at: dt.datetime
    superseded_at: dt.datetime | None = None


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
