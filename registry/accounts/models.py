"""Staff accounts and their roles."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import msgspec

from registry.infra.i18n import N_


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    DEPARTMENT = "department"


ROLE_LABELS = {
    Role.ADMIN: N_("系统管理员"),
    Role.SUPERVISOR: N_("监督部门"),
    Role.DEPARTMENT: N_("承办部门"),
}


class StaffUser(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    username: str
    display_name: str
    role: Role
    department_code: str | None
    active: bool = True


class DepartmentToken(msgspec.Struct, kw_only=True, frozen=True):
    """An active API token: who a Bearer request acts as (a department's own system)."""

    id: int
    department: str
    label: str


class TokenRow(msgspec.Struct, kw_only=True, frozen=True):
    """A token as the admin's page lists it: never the token, never its hash."""

    id: int
    department: str
    department_name: str
    label: str
    created_by: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None
