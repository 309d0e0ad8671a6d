"""Per item, how long a consulted department has to answer a 协查 request (the office sets it;
no term: the same working day). Applies to requests opened afterwards."""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg

from registry.accounts.models import Role
from registry.infra import audit, clock
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.verification.queries import requests as q
from registry.workflow import engine
from registry.workflow.engine import Invalid

UNITS = {"days": N_("个工作日"), "hours": N_("个工作小时")}
DEFAULT = "default"  # the form's choice for "no term: the same working day"
MAX_AMOUNT = 60


async def listing(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """The items with a term of their own, and every abolished item (the form's choices)."""
    return [i for i in await q.abolished_items(conn, clock.today()) if i["unit"]]


async def set_term(conn: asyncpg.Connection, actor: engine.Actor, form: Mapping[str, str]) -> None:
    """Set (or, with unit 'default', remove) an item's term; audited."""
    if actor.role != Role.SUPERVISOR:
        raise Invalid([engine.ROLE_REFUSED])
    code = (form.get("code") or "").strip()
    unit = (form.get("unit") or "").strip()
    amount_text = (form.get("amount") or "").strip()
    errors = []
    if not code or await q.abolished_item(conn, code, clock.today()) is None:
        errors.append(FieldError("code", N_("请选择一项已取消的证明事项")))
    if unit not in (*UNITS, DEFAULT):
        errors.append(FieldError("unit", N_("请选择期限的单位")))
    amount = int(amount_text) if amount_text.isdigit() and len(amount_text) <= 3 else 0
    if unit in UNITS and not 1 <= amount <= MAX_AMOUNT:
        errors.append(FieldError("amount", N_("请填写 1 到 60 之间的整数")))
    if errors:
        raise Invalid(errors)
    async with conn.transaction():
        before = await q.term(conn, code)
        if unit == DEFAULT:
            await q.clear_term(conn, code)
        else:
            await q.set_term(conn, code, unit, amount, actor.name)
        await audit.record(
            conn,
            actor=actor.name,
            action="verification.term",
            entity="certificate",
            entity_id=code,
            before=dict(before) if before else None,
            after={"unit": unit, "amount": amount} if unit != DEFAULT else None,
        )
