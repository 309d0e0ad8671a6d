"""Staff accounts and their roles."""

from __future__ import annotations

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
