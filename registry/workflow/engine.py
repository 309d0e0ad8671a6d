"""One workflow engine for every kind of case (complaints now, 部门核查 requests next).

A kind of case declares a transition Table (who may take which action from which states, to
which state, and on what condition of the case) and supplies its own typed steps: load the
case, plan the action from the form, save it as a compare-and-set, write its event row, and
name its messages. apply() runs them in ONE transaction with the audit row and the outbox
messages, deadlines counted on the working-day calendar; losing the race raises Stale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import asyncpg

from registry.infra import audit, clock, outbox
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.workflow.queries import deadlines as q
from registry.workflow.workdays import Overrides, add_workdays

CaseT = TypeVar("CaseT")
ChangeT = TypeVar("ChangeT")
ROLE_REFUSED = FieldError("action", N_("您的角色不能执行这个操作"))


class Stale(Exception):
    """Someone else moved the case first (or it is gone, or out of the actor's scope)."""


class Invalid(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors


@dataclass(frozen=True)
class Guard(Generic[CaseT]):
    """A condition on the case's facts beyond its status; refused with error when false."""

    holds: Callable[[CaseT], bool]
    error: FieldError


@dataclass(frozen=True)
class Move(Generic[CaseT]):
    froms: frozenset[str]
    to: str | None  # None: the status stays (a note); a step may pick another (a reopen)
    roles: frozenset[str]
    guard: Guard[CaseT] | None = None


@dataclass(frozen=True)
class Table(Generic[CaseT]):
    kind: str  # the audit entity and action prefix: "complaint" -> complaint.accept
    moves: Mapping[str, Move[CaseT]]


def may(table: Table[CaseT], action: str, status: str, role: str, case: CaseT | None) -> bool:
    """Whether role may take action now; without the case, its guard is not asked."""
    move = table.moves[action]
    if status not in move.froms or role not in move.roles:
        return False
    return move.guard is None or case is None or move.guard.holds(case)


def allowed(table: Table[CaseT], status: str, role: str, case: CaseT | None = None) -> list[str]:
    """The actions role may take on a case in status (and with its facts, when given)."""
    return [a for a in table.moves if may(table, a, status, role, case)]


@dataclass(frozen=True)
class Actor:
    name: str  # written to the audit log and the event row
    role: str
    scope: str | None = None  # a department's code: only the cases routed to it


@dataclass(frozen=True)
class Calendar:
    """Deadlines on the office's working-day calendar."""

    today: dt.date
    overrides: Overrides

    def due(self, days: int, start: dt.date | None = None) -> dt.date:
        """days working days after start (today by default), start itself not counted."""
        return add_workdays(start or self.today, days, self.overrides)

    def same_workday(self, start: dt.date | None = None) -> dt.date:
        """A same-working-day deadline: start if it is a working day, else the next one."""
        return self.due(1, (start or self.today) - dt.timedelta(days=1))


@dataclass
class Event:
    """A timeline entry as data: kind + parameters, and the actor's own words (never
    translated)."""

    kind: str
    params: dict[str, Any]
    text: str = ""
    public: bool = True


@dataclass
class Outcome(Generic[ChangeT]):
    """What a planned action writes."""

    status: str
    changes: ChangeT
    event: Event
    audit: dict[str, Any] = field(default_factory=dict)  # added to the audit row's "after"
    notify: bool = True
    extra: dict[str, Any] = field(default_factory=dict)  # for the kind's own later steps


@dataclass(frozen=True)
class Request(Generic[CaseT]):
    action: str
    case: CaseT
    form: Mapping[str, str]
    actor: Actor
    calendar: Calendar


class Kind(Protocol[CaseT, ChangeT]):
    """The steps one kind of case supplies (its own SQL, its own types)."""

    table: Table[CaseT]

    async def load(
        self, conn: asyncpg.Connection, case_id: int, scope: str | None
    ) -> CaseT | None: ...

    def reference(self, case: CaseT) -> str: ...

    def status(self, case: CaseT) -> str: ...

    async def plan(self, conn: asyncpg.Connection, req: Request[CaseT]) -> Outcome[ChangeT]: ...

    async def save(
        self,
        conn: asyncpg.Connection,
        case: CaseT,
        expected: str,
        scope: str | None,
        outcome: Outcome[ChangeT],
    ) -> bool: ...

    async def record(
        self,
        conn: asyncpg.Connection,
        case: CaseT,
        expected: str,
        actor: Actor,
        outcome: Outcome[ChangeT],
    ) -> None: ...

    async def messages(
        self, conn: asyncpg.Connection, case: CaseT, outcome: Outcome[ChangeT]
    ) -> Sequence[outbox.Message]: ...


async def apply(
    conn: asyncpg.Connection,
    kind: Kind[CaseT, ChangeT],
    case_id: int,
    action: str,
    actor: Actor,
    *,
    expected: str,
    form: Mapping[str, str],
    today: dt.date | None = None,
) -> str:
    """Take action on the case if it is still in expected (Stale otherwise; Invalid for a
    refused role, a failed guard or bad input). Returns the new status."""
    move = kind.table.moves[action]
    if actor.role not in move.roles:
        raise Invalid([ROLE_REFUSED])
    if expected not in move.froms:
        raise Stale(expected)
    async with conn.transaction():
        case = await kind.load(conn, case_id, actor.scope)
        if case is None:
            raise Stale("gone")
        if kind.status(case) != expected:
            raise Stale(expected)
        if move.guard is not None and not move.guard.holds(case):
            raise Invalid([move.guard.error])
        calendar = Calendar(today or clock.today(), await q.calendar_overrides(conn))
        outcome = await kind.plan(conn, Request(action, case, form, actor, calendar))
        if not await kind.save(conn, case, expected, actor.scope, outcome):
            raise Stale(expected)
        await kind.record(conn, case, expected, actor, outcome)
        await audit.record(
            conn,
            actor=actor.name,
            action=f"{kind.table.kind}.{action}",
            entity=kind.table.kind,
            entity_id=kind.reference(case),
            before={"status": expected},
            after={"status": outcome.status, **outcome.audit},
        )
        for message in await kind.messages(conn, case, outcome):
            await outbox.enqueue(conn, message)
    return outcome.status
