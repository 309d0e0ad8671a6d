"""The complaint workflow: each step one transaction (state, event, audit, outbox).

submitted -> accepted | rejected;  accepted -> assigned;  assigned -> replied (or extended, once
per deadline);  replied -> closed (with a result for the complainant);  closed -> follow-up, by
the office or by the complainant on the tracking page, which reopens an unsatisfied case once
(-> assigned, with a clean 15-day deadline).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import asyncpg
import msgspec

from registry.accounts.models import Role, StaffUser
from registry.catalogue.queries import departments as dq
from registry.complaints.cases import REPLY_DAYS, deadline_basis, tracking_hint
from registry.complaints.models import (
    COMPLAINT_STATUS_LABELS,
    EVENT_TITLES,
    ComplaintStatus,
    DeadlineReason,
    SatisfactionBy,
)
from registry.complaints.queries import complaint_steps as steps
from registry.complaints.queries import complaints as q
from registry.infra import audit, clock
from registry.infra.errorshape import FieldError
from registry.workflow.workdays import Overrides, add_workdays

EXTENDED_REPLY_DAYS = 20
SATISFACTION = {
    "very_satisfied": "非常满意",
    "satisfied": "满意",
    "neutral": "基本满意",
    "unsatisfied": "不满意",
    "very_unsatisfied": "非常不满意",
}
UNSATISFIED = {"unsatisfied", "very_unsatisfied"}
COMPLAINANT = "complainant"  # the actor of the complainant's own steps (audit, timeline)
COMMENT_LIMIT = 500
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
# action -> (from status, to status, roles allowed); follow-up may go to ASSIGNED instead. The
# complainant may take FOLLOW_UP too (complainant_follow_up): the access code is the credential.
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
    mail_title: str = ""  # the note's heading in the e-mail; "" for the event's title
    notify: bool = True  # False when the complainant did it themselves and nothing moved


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
    public_url: str = "",
) -> str:
    """A staff step; Stale if the complaint moved, Invalid for bad input. Returns new status.
    public_url: the site's address, for the tracking link in the e-mail ("" for none)."""
    if user.role not in TRANSITIONS[action][2]:
        raise Invalid([FieldError("action", "您的角色不能执行这个操作")])
    scope = user.department_code if user.role is Role.DEPARTMENT else None
    return await _run(
        conn, complaint_id, action, user.username, scope, expected, form, today, public_url
    )


async def complainant_follow_up(
    conn: asyncpg.Connection,
    complaint_id: int,
    *,
    form: dict[str, str],
    today: dt.date | None = None,
    public_url: str = "",
) -> str:
    """The complainant's own follow-up from the tracking page (the caller checked the access
    code): the office's transition, with the complainant as the actor."""
    return await _run(
        conn, complaint_id, Action.FOLLOW_UP, COMPLAINANT, None, S.CLOSED, form, today, public_url
    )


async def _run(
    conn: asyncpg.Connection,
    complaint_id: int,
    action: Action,
    actor: str,
    scope: str | None,
    expected: str,
    form: dict[str, str],
    today: dt.date | None,
    public_url: str,
) -> str:
    if expected not in TRANSITIONS[action][0]:
        raise Stale(expected)
    today = today or clock.today()
    async with conn.transaction():
        row = await q.get_for_staff(conn, complaint_id, scope)
        if row is None:
            raise Stale("gone")
        step = await _plan(conn, action, row, form, today, actor)
        if action is Action.NOTE:
            step.new_status = S(row["status"])
        updated = await steps.compare_and_set(
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
        await q.insert_event(
            conn,
            complaint_id,
            kind=str(action),
            public=step.public,
            actor=actor,
            note=step.note,
            status_from=expected,
            status_to=step.new_status,
        )
        await audit.record(
            conn,
            actor=actor,
            action=f"complaint.{action}",
            entity="complaint",
            entity_id=row["reference"],
            before={"status": expected},
            after={"status": str(step.new_status), **_public_changes(step.changes)},
        )
        title = step.mail_title or EVENT_TITLES[str(action)]
        await _notify(conn, complaint_id, row["reference"], step, title, public_url)
    return str(step.new_status)


def _public_changes(changes: dict[str, object]) -> dict[str, object]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in changes.items()}


def _text(form: dict[str, str], field: str, message: str = "", limit: int = 2000) -> str:
    """A form field, stripped; required when there is a message for its absence."""
    value = (form.get(field) or "").strip()
    if not value and message:
        raise Invalid([FieldError(field, message)])
    if len(value) > limit:
        raise Invalid([FieldError(field, f"不能超过 {limit} 个字")])
    return value


def _deadline(
    reason: DeadlineReason,
    start: dt.date,
    days: int,
    overrides: Overrides,
    *,
    extension_reason: str = "",
) -> tuple[dt.date, str, dict[str, object]]:
    """A new reply deadline with its whole basis: (due, its basis in words, the changes)."""
    due = add_workdays(start, days, overrides)
    changes: dict[str, object] = {
        "reply_due": due,
        "deadline_reason": str(reason),
        "reply_from": start,
        "reply_days": days,
        "extension_reason": extension_reason,
    }
    return due, deadline_basis(reason, days), changes


async def _plan(
    conn: asyncpg.Connection,
    action: Action,
    row: asyncpg.Record,
    form: dict[str, str],
    today: dt.date,
    actor: str,
) -> Step:
    """Validate the step's input and work out what it changes."""
    overrides = await q.calendar_overrides(conn)
    if action is Action.ACCEPT:
        due, basis, changes = _deadline(DeadlineReason.ACCEPTED, today, REPLY_DAYS, overrides)
        return Step(
            new_status=S.ACCEPTED,
            changes={"accepted": True, **changes},
            note=f"答复期限 {due}（{basis}）。",
        )
    if action is Action.REJECT:
        reason = _text(form, "reason", "不予受理必须写明理由")
        return Step(new_status=S.REJECTED, changes={"reject_reason": reason}, note=reason)
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
        return _extend(row, form, overrides)
    if action is Action.REPLY:
        finding = form.get("finding") or ""
        if finding not in FINDINGS:
            raise Invalid([FieldError("finding", "请选择核查结论")])
        taken = _text(form, "action_taken", "请写明处理情况")
        return Step(
            new_status=S.REPLIED,
            changes={"replied": True, "finding": finding, "action_taken": taken},
            note=f"{FINDINGS[finding]}。{taken}",
        )
    if action is Action.CLOSE:
        result = _text(form, "result", "办结必须写明告诉投诉人的办理结果")
        return Step(
            new_status=S.CLOSED,
            changes={"closed": True, "closed_on_time": today <= row["reply_due"], "result": result},
            note=result,
            mail_title="办理结果",
        )
    if action is Action.FOLLOW_UP:
        return _follow_up(row, form, today, overrides, actor)
    text = _text(form, "note", "请填写备注内容")
    return Step(new_status=S(row["status"]), changes={}, note=text, public=False)


def _extend(row: asyncpg.Record, form: dict[str, str], overrides: Overrides) -> Step:
    """Once per deadline: a reopened case's new deadline may be extended again."""
    if row["deadline_reason"] == DeadlineReason.EXTENDED:
        raise Invalid([FieldError("reason", "这个答复期限已经延长过一次，不能再延长")])
    reason = _text(form, "reason", "延期必须写明理由")
    start = row["reply_from"] or clock.local(row["accepted_at"] or row["submitted_at"]).date()
    due, _, changes = _deadline(
        DeadlineReason.EXTENDED,
        start,
        EXTENDED_REPLY_DAYS,
        overrides,
        extension_reason=reason,
    )
    counted = deadline_basis(
        DeadlineReason.REOPENED if row["reopened"] else DeadlineReason.ACCEPTED,
        EXTENDED_REPLY_DAYS,
    )
    return Step(
        new_status=S.ASSIGNED,
        changes=changes,
        note=f"答复期限延长至 {due}（{counted}）。延期理由：{reason}",
    )


def _follow_up(
    row: asyncpg.Record, form: dict[str, str], today: dt.date, overrides: Overrides, actor: str
) -> Step:
    """One satisfaction level per closing, by the office or the complainant, whoever is first;
    an unsatisfied one sends the case back to the department once, with a clean deadline."""
    level = form.get("satisfaction") or ""
    if level not in SATISFACTION:
        raise Invalid([FieldError("satisfaction", "请选择满意程度")])
    if row["followed_up_at"] and row["followed_up_at"] > row["closed_at"]:
        raise Invalid([FieldError("satisfaction", "这次办结已经记录过满意程度")])
    comment = _text(form, "comment", limit=COMMENT_LIMIT)
    by = SatisfactionBy.COMPLAINANT if actor == COMPLAINANT else SatisfactionBy.OFFICE
    changes: dict[str, object] = {"satisfaction": level, "satisfaction_by": str(by)}
    note = f"{SATISFACTION[level]}。" + (f"意见：{comment.rstrip('。')}。" if comment else "")
    mine = by is SatisfactionBy.COMPLAINANT
    title = EVENT_TITLES["rating"] if mine else ""
    if level in UNSATISFIED and not row["reopened"]:
        due, basis, deadline = _deadline(DeadlineReason.REOPENED, today, REPLY_DAYS, overrides)
        # Reopened once: back to the department; a second follow-up comes after it closes again.
        return Step(
            new_status=S.ASSIGNED,
            changes={**changes, **deadline, "reopened": True},
            note=f"{note}重新交办，答复期限 {due}（{basis}）。",
            mail_title=title,
        )
    return Step(new_status=S.CLOSED, changes=changes, note=note, notify=not mine)


async def _notify(
    conn: asyncpg.Connection,
    complaint_id: int,
    reference: str,
    step: Step,
    title: str,
    public_url: str,
) -> None:
    """A complainant who left an email hears of every public step (sent by outbox.py), with
    where to track it; never the access code."""
    if not step.public or not step.notify:
        return
    contact = await q.read_contact(conn, complaint_id)
    if not contact or not contact["email"]:
        return
    label = COMPLAINT_STATUS_LABELS[step.new_status]
    body = (
        f"您的投诉（查询编号 {reference}）办理状态：{label}。\n\n{title}：{step.note}\n\n"
        + tracking_hint(public_url, reference)
    )
    await q.insert_outbox(conn, complaint_id, contact["email"], f"投诉 {reference}：{label}", body)
