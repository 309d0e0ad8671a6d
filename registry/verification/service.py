"""部门核查 (协查) use cases, shared by the staff pages and the departments' API: open a request,
take a step on it, read one, list them. Each is one transaction with its event, audit row and
outbox messages; only the two departments a request names and the office ever see it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping

import asyncpg
import msgspec

from registry.accounts.models import Role
from registry.infra import audit, clock, outbox
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.verification import deadlines
from registry.verification import workflow as flow
from registry.verification.models import PAGE_SIZE, STATUS_LABELS, VerificationRequest, mask
from registry.verification.queries import requests as q
from registry.workflow import engine
from registry.workflow.engine import Event, Invalid, Stale
from registry.workflow.queries import deadlines as calendar_q

__all__ = ["Invalid", "Stale", "act", "events", "get", "listing", "open_request"]

FORM_FIELDS = ("code", "to_department", "matter", "case_ref", "question", "applicant")
REQUIRED = {
    "matter": N_("请填写办理事项"),
    "case_ref": N_("请填写办件编号"),
    "question": N_("请写明需要核查确认的内容"),
    "applicant": N_("请填写申请人"),
}
KEY_REUSED = FieldError("idempotency_key", N_("这个幂等键已用于内容不同的另一份协查"))
BOXES = ("incoming", "outgoing", "all")
MAX_PAGE = 10_000


def _form_hash(values: Mapping[str, str]) -> str:
    text = json.dumps([values[f] for f in FORM_FIELDS], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


async def _validate(
    conn: asyncpg.Connection, actor: engine.Actor, form: Mapping[str, str], day: dt.date
) -> tuple[dict[str, str], asyncpg.Record | None]:
    """The cleaned form and the item; Invalid with every field's error at once."""
    errors: list[FieldError] = []
    values = {f: (form.get(f) or "").strip() for f in FORM_FIELDS}
    item = await q.abolished_item(conn, values["code"], day) if values["code"] else None
    if item is None:
        errors.append(FieldError("code", N_("请选择一项已取消的证明事项")))
    to = values["to_department"]
    if not to or not await q.department_exists(conn, to):
        errors.append(FieldError("to_department", N_("请选择被核查的部门")))
    elif to == actor.scope:
        errors.append(FieldError("to_department", N_("不能向本部门发起协查")))
    for field, message in REQUIRED.items():
        try:
            values[field] = flow.text(form, field, message)
        except Invalid as bad:
            errors.extend(bad.errors)
    if errors:
        raise Invalid(errors)
    return values, item


async def open_request(
    conn: asyncpg.Connection,
    actor: engine.Actor,
    form: Mapping[str, str],
    *,
    idempotency_key: str | None = None,
    today: dt.date | None = None,
) -> VerificationRequest:
    """A clerk of actor's department asks another department; the same key with the same form
    gives the same request again, with another form Invalid (field idempotency_key)."""
    if actor.role != Role.DEPARTMENT or not actor.scope:
        raise Invalid([engine.ROLE_REFUSED])
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > 200:
        raise Invalid([FieldError("idempotency_key", flow.too_long(200))])
    now = clock.now()
    start = (
        now if today is None or today == now.date() else dt.datetime.combine(today, now.timetz())
    )
    values, _item = await _validate(conn, actor, form, start.date())
    digest = _form_hash(values)
    async with conn.transaction():
        term = await q.term(conn, values["code"])
        overrides = await calendar_q.calendar_overrides(conn)
        unit, amount = (term["unit"], term["amount"]) if term else (None, 0)
        due = deadlines.due_at(start, unit, amount, overrides)
        new = q.NewRequest(
            year=start.year, from_department=actor.scope, created_by=actor.name,
            idempotency_key=key, request_hash=digest, due_at=due, created_at=now, **values,
        )  # fmt: skip
        row = await q.insert(conn, new)
        if row is None:  # the key was used before (or by a concurrent retry, now committed)
            prior = await q.by_key(conn, actor.scope, key or "")
            if prior is None or prior["request_hash"] != digest:
                raise Invalid([KEY_REUSED])
            found = await get(conn, prior["reference"], actor)
            assert found is not None
            return found
        case = await q.get_by_id(conn, row["id"], None)
        assert case is not None
        params = {
            "from_name": case["from_name"],
            "to_name": case["to_name"],
            "due": flow.due_text(case),
        }
        event = Event("open", params)
        await q.insert_event(
            conn, case["id"], at=now, kind="open", params=params, actor=actor.name,
            status_from=None, status_to=case["status"],
        )  # fmt: skip
        await audit.record(
            conn,
            actor=actor.name,
            action="verification.open",
            entity="verification",
            entity_id=case["reference"],
            after={
                "status": case["status"], "code": case["code"], "from": case["from_department"],
                "to": case["to_department"], "due_at": case["due_at"].isoformat(),
                "idempotency_key": key,
            },
        )  # fmt: skip
        for message in await flow.notices(
            conn, case, case["status"], event, [case["to_department"]]
        ):
            await outbox.enqueue(conn, message)
    return to_model(case, now)


async def act(
    conn: asyncpg.Connection,
    reference: str,
    action: str,
    actor: engine.Actor,
    *,
    expected: str,
    form: Mapping[str, str],
) -> str:
    """A step on a request the actor can see (Stale otherwise, or when it moved first)."""
    if action not in flow.TABLE.moves:
        raise Invalid([FieldError("action", N_("没有这个操作"))])
    rid = await q.visible_id(conn, reference, actor.scope)
    if rid is None:
        raise Stale("gone")
    return await engine.apply(
        conn, flow.Verifications(), rid, action, actor, expected=expected, form=form
    )


async def get(
    conn: asyncpg.Connection, reference: str, actor: engine.Actor
) -> VerificationRequest | None:
    """The request, if actor is the office or one of its two departments."""
    if actor.role not in (Role.SUPERVISOR, Role.DEPARTMENT, flow.SYSTEM):
        return None
    if actor.role == Role.DEPARTMENT and not actor.scope:
        return None
    row = await q.get(conn, reference, actor.scope)
    return to_model(row, clock.now()) if row else None


async def events(
    conn: asyncpg.Connection, reference: str, actor: engine.Actor
) -> list[asyncpg.Record]:
    """The request's timeline (empty when the actor cannot see it)."""
    rid = (
        await q.visible_id(conn, reference, actor.scope)
        if await get(conn, reference, actor)
        else None
    )
    return await q.events(conn, rid) if rid is not None else []


async def listing(
    conn: asyncpg.Connection,
    actor: engine.Actor,
    *,
    box: str,
    status: str | None = None,
    page: int = 1,
) -> list[VerificationRequest]:
    """A department's incoming or outgoing requests, or (the office) all of them; the
    applicant masked. status 'overdue' includes open requests already past due."""
    if box not in BOXES:
        raise Invalid([FieldError("box", N_("没有这个列表"))])
    if status is not None and status not in {str(s) for s in STATUS_LABELS}:
        raise Invalid([FieldError("status", N_("没有这个状态"))])
    if actor.role == Role.SUPERVISOR:
        scope, box = None, "all"
    elif actor.role == Role.DEPARTMENT and actor.scope and box != "all":
        scope = actor.scope
    else:
        raise Invalid([engine.ROLE_REFUSED])
    now = clock.now()
    offset = (min(max(page, 1), MAX_PAGE) - 1) * PAGE_SIZE  # OFFSET must not overflow
    rows = await q.listing(conn, box, scope, status, now, PAGE_SIZE, offset)
    return [msgspec.structs.replace(to_model(r, now), applicant=mask(r["applicant"])) for r in rows]


def to_model(row: asyncpg.Record, now: dt.datetime) -> VerificationRequest:
    return VerificationRequest(
        reference=row["reference"],
        code=row["code"],
        item_name=row["item_name"],
        matter=row["matter"],
        case_ref=row["case_ref"],
        question=row["question"],
        applicant=row["applicant"],
        applicant_masked=mask(row["applicant"]),
        from_department=row["from_department"],
        to_department=row["to_department"],
        status=row["status"],
        result=row["result"],
        note=row["note"],
        due_at=row["due_at"],
        created_at=row["created_at"],
        received_at=row["received_at"],
        answered_at=row["answered_at"],
        urged_count=row["urged_count"],
        overdue=row["status"] == "overdue"
        or (row["status"] in ("pending", "received") and row["due_at"] < now),
        version=row["version"],
        from_name=row["from_name"],
        to_name=row["to_name"],
        created_by=row["created_by"],
        last_urged_at=row["last_urged_at"],
    )
