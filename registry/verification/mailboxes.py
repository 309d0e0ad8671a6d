"""Where 协查 notices go: one address per department, and one for the office ('office'). The
office keeps them; a department without one gets its notices queued to an address under
.invalid (registry.verification.workflow), so this page is where notices start to arrive."""

from __future__ import annotations

import re
from collections.abc import Mapping

import asyncpg

from registry.accounts.models import Role
from registry.infra import audit
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.verification.queries import requests as q
from registry.workflow import engine
from registry.workflow.engine import Invalid

OFFICE = "office"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # the table's CHECK, and a dot in the domain
MAX_EMAIL = 254


async def set_mailbox(
    conn: asyncpg.Connection, actor: engine.Actor, form: Mapping[str, str]
) -> None:
    """Set (or, with an empty address, remove) one owner's address; audited."""
    if actor.role != Role.SUPERVISOR:
        raise Invalid([engine.ROLE_REFUSED])
    owner = (form.get("owner") or "").strip()
    email = (form.get("email") or "").strip()
    errors = []
    if owner != OFFICE and not await q.department_exists(conn, owner):
        errors.append(FieldError("owner", N_("请选择一个部门")))
    if email and (len(email) > MAX_EMAIL or not EMAIL.match(email)):
        errors.append(FieldError("email", N_("请填写有效的电子邮箱，如 name@example.gov.cn")))
    if errors:
        raise Invalid(errors)
    async with conn.transaction():
        before = (await q.mailboxes(conn, [owner])).get(owner)
        await q.set_mailbox(conn, owner, email or None)
        await audit.record(
            conn,
            actor=actor.name,
            action="verification.mailbox",
            entity="department",
            entity_id=owner,
            before={"email": before} if before else None,
            after={"email": email} if email else None,
        )
