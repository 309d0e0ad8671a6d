"""The complaint workflow for staff: each step one transaction (state, event, audit, outbox).

submitted -> accepted | rejected;  accepted -> assigned;  assigned -> replied (or extended once);
replied -> closed;  closed -> follow-up, which reopens an unsatisfied case once (-> assigned).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import asyncpg
import msgspec

from registry import audit, clock
from registry.models import COMPLAINT_STATUS_LABELS, ComplaintStatus, FieldError, Role, StaffUser
from registry.queries import complaints as q
from registry.queries import deadlines as deadlines_q
from registry.queries import departments as dq
from registry.workdays import add_workdays

REPLY_DAYS = 15
EXTENDED_REPLY_DAYS = 20
SATISFACTION = {
    "very_satisfied": "非常满意",
    "satisfied": "满意",
    "neutral": "基本满意",
    "unsatisfied": "不满意",
    "very_unsatisfied": "非常不满意",
}
UNSATISFIED = {"unsatisfied", "very_unsatisfied"}
FINDINGS = {"substantiated": "情况属实", "unsubstantiated": "情况不属实"}


class Action(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    ASSIGN = "assign"
    EXTEND = "extend"
    REPLY = "reply"
    CLOSE = "close"
    FOLLOW_UP = "follow_up"
    NOTE = "note"


S = ComplaintStatus
SUP, DEP = Role.SUPERVISOR, Role.DEPARTMENT
# action -> (from status, to status, roles allowed); follow-up may go to ASSIGNED instead.
TRANSITIONS: dict[Action, tuple[frozenset[S], S | None, frozenset[Role]]] = {
    Action.ACCEPT: (frozenset({S.SUBMITTED}), S.ACCEPTED, frozenset({SUP})),
    Action.REJECT: (frozenset({S.SUBMITTED}), S.REJECTED, frozenset({SUP})),
    Action.ASSIGN: (frozenset({S.ACCEPTED}), S.ASSIGNED, frozenset({SUP})),
    Action.EXTEND: (frozenset({S.ASSIGNED}), S.ASSIGNED, frozenset({SUP, DEP})),
    Action.REPLY: (frozenset({S.ASSIGNED}), S.REPLIED, frozenset({SUP, DEP})),
    Action.CLOSE: (frozenset({S.REPLIED}), S.CLOSED, frozenset({SUP})),
    Action.FOLLOW_UP: (frozenset({S.CLOSED}), S.CLOSED, frozenset({SUP})),
    Action.NOTE: (frozenset(S), None, frozenset({SUP, DEP})),
}


class Stale(Exception):
    """Someone else moved the complaint first."""


class Invalid(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors


class Step(msgspec.Struct, kw_only=True):
    """What a step writes: the change, the timeline note, whether the public sees it."""

    new_status: S
    changes: dict[str, object]
    note: str
    public: bool = True
    basis: tuple[dt.date, int] | None = None  # (from, working days) of a new reply deadline


def allowed(action: Action, status: str, user: StaffUser) -> bool:
    froms, _, roles = TRANSITIONS[action]
    return status in froms and user.role in roles


async def transition(
    conn: asyncpg.Connection,
    complaint_id: int,
    action: Action,
    user: StaffUser,
    *,
    expected: str,
    form: dict[str, str],
    today: dt.date | None = None,
) -> str:
    """Apply one step; Stale if the complaint moved, Invalid for bad input. Returns new status."""
    if user.role not in TRANSITIONS[action][2]:
        raise Invalid([FieldError("action", "您的角色不能执行这个操作")])
    if expected not in TRANSITIONS[action][0]:
        raise Stale(expected)
    today = today or clock.today()
    scope = user.department_code if user.role is Role.DEPARTMENT else None
    async with conn.transaction():
        row = await q.get_for_staff(conn, complaint_id, scope)
        if row is None:
            raise Stale("gone")
        step = await _plan(conn, action, row, form, today)
        if action is Action.NOTE:
            step.new_status = S(row["status"])
        updated = await q.compare_and_set(
            conn,
            complaint_id,
            expected=expected,
            version=row["version"],
            new_status=step.new_status,
            scope_department=scope,
            changes=step.changes,
        )
        if updated is None:
            raise Stale(expected)
        if step.basis:
            await deadlines_q.set_basis(conn, complaint_id, *step.basis)
        await q.insert_event(
            conn,
            complaint_id,
            kind=str(action),
            public=step.public,
            actor=user.username,
            note=step.note,
            status_from=expected,
            status_to=step.new_status,
        )
        await audit.record(
            conn,
            actor=user.username,
            action=f"complaint.{action}",
            entity="complaint",
            entity_id=row["reference"],
            before={"status": expected},
            after={"status": str(step.new_status), **_public_changes(step.changes)},
        )
        await _notify(conn, complaint_id, row["reference"], step)
    return str(step.new_status)


def _public_changes(changes: dict[str, object]) -> dict[str, object]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in changes.items()}


def _required(form: dict[str, str], field: str, message: str, limit: int = 2000) -> str:
    value = (form.get(field) or "").strip()
    if not value:
        raise Invalid([FieldError(field, message)])
    if len(value) > limit:
        raise Invalid([FieldError(field, f"不能超过 {limit} 个字")])
    return value


async def _plan(
    conn: asyncpg.Connection,
    action: Action,
    row: asyncpg.Record,
    form: dict[str, str],
    today: dt.date,
) -> Step:
    """Validate the step's input and work out what it changes."""
    overrides = await q.calendar_overrides(conn)
    if action is Action.ACCEPT:
        due = add_workdays(today, REPLY_DAYS, overrides)
        return Step(
            new_status=S.ACCEPTED,
            changes={"accepted": True, "reply_due": due},
            note=f"已受理，答复期限 {due}。",
            basis=(today, REPLY_DAYS),
        )
    if action is Action.REJECT:
        reason = _required(form, "reason", "不予受理必须写明理由")
        return Step(
            new_status=S.REJECTED, changes={"reject_reason": reason}, note=f"不予受理：{reason}"
        )
    if action is Action.ASSIGN:
        dep = await dq.get_department(conn, (form.get("department") or "").strip())
        if dep is None:
            raise Invalid([FieldError("department", "请选择承办部门")])
        return Step(
            new_status=S.ASSIGNED,
            changes={"assigned_department": dep.code},
            note=f"已转交{dep.name}办理。",
        )
    if action is Action.EXTEND:
        if row["extended"]:
            raise Invalid([FieldError("reason", "办理期限只能延长一次")])
        reason = _required(form, "reason", "延期必须写明理由")
        start = clock.local(row["accepted_at"] or row["submitted_at"]).date()
        due = add_workdays(start, EXTENDED_REPLY_DAYS, overrides)
        return Step(
            new_status=S.ASSIGNED,
            note=f"办理期限延长至 {due}：{reason}",
            changes={"extended": True, "extension_reason": reason, "reply_due": due},
            basis=(start, EXTENDED_REPLY_DAYS),
        )
    if action is Action.REPLY:
        finding = form.get("finding") or ""
        if finding not in FINDINGS:
            raise Invalid([FieldError("finding", "请选择核查结论")])
        taken = _required(form, "action_taken", "请写明处理情况")
        return Step(
            new_status=S.REPLIED,
            changes={"replied": True, "finding": finding, "action_taken": taken},
            note=f"部门反馈：{FINDINGS[finding]}。{taken}",
        )
    if action is Action.CLOSE:
        on_time = today <= row["reply_due"]
        return Step(
            new_status=S.CLOSED,
            changes={"closed": True, "closed_on_time": on_time},
            note="已办结。",
        )
    if action is Action.FOLLOW_UP:
        return _follow_up(row, form, today, overrides)
    text = _required(form, "note", "请填写备注内容")
    return Step(new_status=S(row["status"]), changes={}, note=text, public=False)


def _follow_up(
    row: asyncpg.Record, form: dict[str, str], today: dt.date, overrides: dict[dt.date, bool]
) -> Step:
    level = form.get("satisfaction") or ""
    if level not in SATISFACTION:
        raise Invalid([FieldError("satisfaction", "请选择满意程度")])
    if row["followed_up_at"] and row["followed_up_at"] > row["closed_at"]:
        raise Invalid([FieldError("satisfaction", "这次办结已经回访过")])
    changes: dict[str, object] = {"satisfaction": level}
    note = f"已回访：{SATISFACTION[level]}。"
    if level in UNSATISFIED and not row["reopened"]:
        due = add_workdays(today, REPLY_DAYS, overrides)
        # Reopened once: back to the department; a second follow-up comes after it closes again.
        changes.update(reopened=True, reply_due=due)
        return Step(
            new_status=S.ASSIGNED,
            changes=changes,
            note=note + f"群众不满意，重新交办，答复期限 {due}。",
            basis=(today, REPLY_DAYS),
        )
    return Step(new_status=S.CLOSED, changes=changes, note=note)


async def _notify(conn: asyncpg.Connection, complaint_id: int, reference: str, step: Step) -> None:
    """A complainant who left an email hears of every status change (sent by outbox.py)."""
    contact = await q.read_contact(conn, complaint_id)
    if not contact or not contact["email"] or not step.public:
        return
    label = COMPLAINT_STATUS_LABELS[step.new_status]
    # Every public step is news to the complainant, an extension included.
    body = (
        f"您的投诉（查询编号 {reference}）办理状态更新为：{label}。\n\n{step.note}\n\n"
        "凭查询编号和查询码可在网站“投诉举报—查询进度”查看详情。"
    )
    await q.insert_outbox(conn, complaint_id, contact["email"], f"投诉 {reference}：{label}", body)
