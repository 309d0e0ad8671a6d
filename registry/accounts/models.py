"""Staff accounts and their roles."""

from __future__ import annotations

from enum import StrEnum

import msgspec


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
