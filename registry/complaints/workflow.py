"""The complaint workflow: its transition table and its steps, run by registry.workflow.engine
(each step one transaction: state, event, audit, outbox).

submitted -> accepted | rejected;  accepted -> assigned;  assigned -> replied (or extended, once
per deadline);  replied -> closed (with a result for the complainant);  closed -> follow-up, by
the office or by the complainant on the tracking page, which reopens an unsatisfied case once
(-> assigned, with a clean 15-day deadline).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import StrEnum

import asyncpg
import msgspec

from registry.accounts.models import Role, StaffUser
from registry.catalogue.queries import departments as dq
from registry.complaints.events import FINDINGS, SATISFACTION
from registry.complaints.models import (
    REPLY_DAYS,
    ComplaintStatus,
    DeadlineReason,
    SatisfactionBy,
    too_long,
)
from registry.complaints.queries import complaint_steps as steps
from registry.complaints.queries import complaints as q
from registry.complaints.queries.complaint_steps import Changes
from registry.infra import clock, outbox
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.workflow import engine
from registry.workflow.engine import Actor, Event, Guard, Invalid, Move, Outcome, Stale, Table

__all__ = ["FINDINGS", "SATISFACTION", "Invalid", "Stale"]  # the routes' names for them

EXTENDED_REPLY_DAYS = 20
EXTENDED_ONCE = FieldError("reason", N_("这个答复期限已经延长过一次，不能再延长"))
UNSATISFIED = {"unsatisfied", "very_unsatisfied"}
COMPLAINANT = "complainant"  # the actor (and role) of the complainant's own steps
COMMENT_LIMIT = 500


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
Case = asyncpg.Record  # queries.complaints.get_for_staff
SUP, DEP = Role.SUPERVISOR, Role.DEPARTMENT


def _not_extended(c: Case) -> bool:
    return bool(c["deadline_reason"] != DeadlineReason.EXTENDED)


def _not_rated(c: Case) -> bool:
    return not (c["followed_up_at"] and c["closed_at"] and c["followed_up_at"] > c["closed_at"])


def _move(froms: set[S], to: S | None, *roles: str, guard: Guard[Case] | None = None) -> Move[Case]:
    return Move(frozenset(froms), to, frozenset(roles), guard)


# Follow-up may go to ASSIGNED instead (a reopen). The complainant takes FOLLOW_UP from the
# tracking page (complainant_follow_up): the access code is the credential.
TRANSITIONS: dict[str, Move[Case]] = {
    Action.ACCEPT: _move({S.SUBMITTED}, S.ACCEPTED, SUP),
    Action.REJECT: _move({S.SUBMITTED}, S.REJECTED, SUP),
    Action.ASSIGN: _move({S.ACCEPTED}, S.ASSIGNED, SUP),
    Action.EXTEND: _move(
        {S.ASSIGNED},
        S.ASSIGNED,
        SUP,
        DEP,
        guard=Guard(_not_extended, EXTENDED_ONCE),
    ),
    Action.REPLY: _move({S.ASSIGNED}, S.REPLIED, SUP, DEP),
    Action.CLOSE: _move({S.REPLIED}, S.CLOSED, SUP),
    Action.FOLLOW_UP: _move(
        {S.CLOSED},
        S.CLOSED,
        SUP,
        COMPLAINANT,
        guard=Guard(_not_rated, FieldError("satisfaction", N_("这次办结已经记录过满意程度"))),
    ),
    Action.NOTE: _move(set(S), None, SUP, DEP),
}
TABLE = Table("complaint", TRANSITIONS)


def allowed(user: StaffUser, case: Case) -> list[Action]:
    """The moves the user may make on the case now (what the staff page offers)."""
    return [Action(a) for a in engine.allowed(TABLE, case["status"], user.role, case)]


async def transition(
    conn: asyncpg.Connection,
    complaint_id: int,
    action: Action,
    user: StaffUser,
    *,
    expected: str,
    form: Mapping[str, str],
    today: dt.date | None = None,
    public_url: str = "",
) -> str:
    """A staff step; Stale if the complaint moved, Invalid for bad input. Returns new status.
    public_url: the site's address, for the tracking link in the e-mail ("" for none)."""
    scope = user.department_code if user.role is Role.DEPARTMENT else None
    actor = Actor(user.username, user.role, scope)
    return await engine.apply(
        conn, Complaints(public_url), complaint_id, action, actor,
        expected=expected, form=form, today=today,
    )  # fmt: skip


async def complainant_follow_up(
    conn: asyncpg.Connection,
    complaint_id: int,
    *,
    form: Mapping[str, str],
    today: dt.date | None = None,
    public_url: str = "",
) -> str:
    """The complainant's own follow-up from the tracking page (the caller checked the access
    code): the office's transition, with the complainant as the actor."""
    actor = Actor(COMPLAINANT, COMPLAINANT)
    return await engine.apply(
        conn, Complaints(public_url), complaint_id, Action.FOLLOW_UP, actor,
        expected=S.CLOSED, form=form, today=today,
    )  # fmt: skip


class Complaints:
    """The complaint's steps for the engine (engine.Kind)."""

    table = TABLE

    def __init__(self, public_url: str = "") -> None:
        self.public_url = public_url

    async def load(self, conn: asyncpg.Connection, case_id: int, scope: str | None) -> Case | None:
        return await q.get_for_staff(conn, case_id, scope)

    def reference(self, case: Case) -> str:
        return str(case["reference"])

    def status(self, case: Case) -> str:
        return str(case["status"])

    async def plan(self, conn: asyncpg.Connection, req: engine.Request[Case]) -> Outcome[Changes]:
        outcome = await PLANS[Action(req.action)](conn, req)
        outcome.audit = outcome.changes.for_audit()
        return outcome

    async def save(
        self,
        conn: asyncpg.Connection,
        case: Case,
        expected: str,
        scope: str | None,
        outcome: Outcome[Changes],
    ) -> bool:
        row = await steps.compare_and_set(
            conn, case["id"], expected=expected, version=case["version"],
            new_status=outcome.status, scope_department=scope, changes=outcome.changes,
        )  # fmt: skip
        return row is not None

    async def record(
        self,
        conn: asyncpg.Connection,
        case: Case,
        expected: str,
        actor: Actor,
        outcome: Outcome[Changes],
    ) -> None:
        e = outcome.event
        await q.insert_event(
            conn, case["id"], kind=e.kind, public=e.public, actor=actor.name, note=e.text,
            params=e.params, status_from=expected, status_to=outcome.status,
        )  # fmt: skip

    async def messages(
        self, conn: asyncpg.Connection, case: Case, outcome: Outcome[Changes]
    ) -> Sequence[outbox.Message]:
        """A complainant who left an email hears of every public step, with where to track
        it; never the access code."""
        e = outcome.event
        if not e.public or not outcome.notify:
            return []
        contact = await q.read_contact(conn, case["id"])
        if not contact or not contact["email"]:
            return []
        params = {
            "reference": case["reference"],
            "status": outcome.status,
            "title": outcome.extra.get("title", e.kind),
            "event": {"kind": e.kind, "params": e.params, "text": e.text},
            "public_url": self.public_url,
        }
        return [outbox.Message(contact["email"], "complaint.step", params, case["id"])]


# ---- planning each action: validate its input, work out what it changes -------------------

Plan = Callable[[asyncpg.Connection, engine.Request[Case]], Awaitable[Outcome[Changes]]]


def _text(form: Mapping[str, str], field: str, message: str = "", limit: int = 2000) -> str:
    """A form field, stripped; required when there is a message for its absence."""
    value = (form.get(field) or "").strip()
    if not value and message:
        raise Invalid([FieldError(field, message)])
    if len(value) > limit:
        raise Invalid([FieldError(field, too_long(limit))])
    return value


def _deadline(
    reason: DeadlineReason, start: dt.date, days: int, due: dt.date, extension: str = ""
) -> Changes:
    """A new reply deadline with its whole basis."""
    return Changes(
        reply_due=due,
        deadline_reason=str(reason),
        reply_from=start,
        reply_days=days,
        extension_reason=extension,
    )


def _event(kind: Action, text: str = "", public: bool = True, **params: object) -> Event:
    return Event(str(kind), {k: str(v) if isinstance(v, dt.date) else v for k, v in params.items()},
                 text, public)  # fmt: skip


async def _accept(conn: asyncpg.Connection, req: engine.Request[Case]) -> Outcome[Changes]:
    today = req.calendar.today
    due = req.calendar.due(REPLY_DAYS)
    changes = _deadline(DeadlineReason.ACCEPTED, today, REPLY_DAYS, due)
    event = _event(Action.ACCEPT, due=due, reason=DeadlineReason.ACCEPTED.value, days=REPLY_DAYS)
    return Outcome(S.ACCEPTED, msgspec.structs.replace(changes, accepted=True), event)


async def _reject(conn: asyncpg.Connection, req: engine.Request[Case]) -> Outcome[Changes]:
    reason = _text(req.form, "reason", N_("不予受理必须写明理由"))
    return Outcome(S.REJECTED, Changes(reject_reason=reason), _event(Action.REJECT, reason))


async def _assign(conn: asyncpg.Connection, req: engine.Request[Case]) -> Outcome[Changes]:
    dep = await dq.get_department(conn, (req.form.get("department") or "").strip())
    if dep is None:
        raise Invalid([FieldError("department", N_("请选择承办部门"))])
    event = _event(Action.ASSIGN, department=dep.name, code=dep.code)
    return Outcome(S.ASSIGNED, Changes(assigned_department=dep.code), event)


async def _extend(conn: asyncpg.Connection, req: engine.Request[Case]) -> Outcome[Changes]:
    """Once per deadline (the table's guard): a reopened case's new deadline may be extended."""
    row = req.case
    reason = _text(req.form, "reason", N_("延期必须写明理由"))
    start = row["reply_from"] or clock.local(row["accepted_at"] or row["submitted_at"]).date()
    due = req.calendar.due(EXTENDED_REPLY_DAYS, start)
    changes = _deadline(DeadlineReason.EXTENDED, start, EXTENDED_REPLY_DAYS, due, reason)
    counted = DeadlineReason.REOPENED if row["reopened"] else DeadlineReason.ACCEPTED
    event = _event(Action.EXTEND, reason, due=due, reason=counted.value, days=EXTENDED_REPLY_DAYS)
    return Outcome(S.ASSIGNED, changes, event)


async def _reply(conn: asyncpg.Connection, req: engine.Request[Case]) -> Outcome[Changes]:
    finding = req.form.get("finding") or ""
    if finding not in FINDINGS:
        raise Invalid([FieldError("finding", N_("请选择核查结论"))])
    taken = _text(req.form, "action_taken", N_("请写明处理情况"))
    changes = Changes(replied=True, finding=finding, action_taken=taken)
    return Outcome(S.REPLIED, changes, _event(Action.REPLY, taken, finding=finding))


async def _close(conn: asyncpg.Connection, req: engine.Request[Case]) -> Outcome[Changes]:
    result = _text(req.form, "result", N_("办结必须写明告诉投诉人的办理结果"))
    on_time = req.calendar.today <= req.case["reply_due"]
    changes = Changes(closed=True, closed_on_time=on_time, result=result)
    return Outcome(S.CLOSED, changes, _event(Action.CLOSE, result), extra={"title": "result"})


async def _follow_up(conn: asyncpg.Connection, req: engine.Request[Case]) -> Outcome[Changes]:
    """One satisfaction level per closing (the table's guard), by the office or the
    complainant, whoever is first; an unsatisfied one sends the case back to the department
    once, with a clean deadline."""
    level = req.form.get("satisfaction") or ""
    if level not in SATISFACTION:
        raise Invalid([FieldError("satisfaction", N_("请选择满意程度"))])
    comment = _text(req.form, "comment", limit=COMMENT_LIMIT)
    mine = req.actor.name == COMPLAINANT
    by = SatisfactionBy.COMPLAINANT if mine else SatisfactionBy.OFFICE
    rated = Changes(satisfaction=level, satisfaction_by=str(by))
    if level in UNSATISFIED and not req.case["reopened"]:
        # Reopened once: back to the department; a second follow-up comes after it closes again.
        today, reason = req.calendar.today, DeadlineReason.REOPENED
        due = req.calendar.due(REPLY_DAYS)
        deadline = _deadline(reason, today, REPLY_DAYS, due)
        changes = msgspec.structs.replace(
            deadline, satisfaction=level, satisfaction_by=str(by), reopened=True
        )
        event = _event(
            Action.FOLLOW_UP, comment, level=level, due=due, reason=reason.value, days=REPLY_DAYS
        )
        title = "rating" if mine else "follow_up"
        return Outcome(S.ASSIGNED, changes, event, extra={"title": title})
    event = _event(Action.FOLLOW_UP, comment, level=level)
    return Outcome(S.CLOSED, rated, event, notify=not mine)


async def _note(conn: asyncpg.Connection, req: engine.Request[Case]) -> Outcome[Changes]:
    text = _text(req.form, "note", N_("请填写备注内容"))
    return Outcome(req.case["status"], Changes(), _event(Action.NOTE, text, public=False))


PLANS: dict[Action, Plan] = {
    Action.ACCEPT: _accept,
    Action.REJECT: _reject,
    Action.ASSIGN: _assign,
    Action.EXTEND: _extend,
    Action.REPLY: _reply,
    Action.CLOSE: _close,
    Action.FOLLOW_UP: _follow_up,
    Action.NOTE: _note,
}
