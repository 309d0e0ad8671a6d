"""The later check of a signed commitment (属实 / 不实), through the workflow engine: the
department that took it (or the office) records it once; only the office corrects it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import asyncpg

from registry.accounts.models import Role, StaffUser
from registry.commitments.models import CheckResult, Signed
from registry.commitments.queries import signed as q
from registry.infra import clock, outbox
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.workflow import engine
from registry.workflow.engine import Actor, Event, Move, Outcome, Table

SIGNED, CHECKED = "signed", "checked"
OFFICE, DEPARTMENT = Role.SUPERVISOR.value, Role.DEPARTMENT.value
NOTE_MAX = 1000

TABLE: Table[Signed] = Table(
    "commitment",
    {
        "check": Move(frozenset({SIGNED}), CHECKED, frozenset({DEPARTMENT, OFFICE})),
        "correct": Move(frozenset({CHECKED}), CHECKED, frozenset({OFFICE})),
    },
)
Stale, Invalid = engine.Stale, engine.Invalid


class Commitments:
    table = TABLE

    async def load(
        self, conn: asyncpg.Connection, case_id: int, scope: str | None
    ) -> Signed | None:
        return await q.load(conn, case_id, scope)

    def reference(self, case: Signed) -> str:
        return case.reference

    def status(self, case: Signed) -> str:
        return case.status

    async def plan(
        self, conn: asyncpg.Connection, req: engine.Request[Signed]
    ) -> Outcome[dict[str, str]]:
        errors = []
        result = req.form.get("result", "")
        note = " ".join(req.form.get("note", "").split())
        if result not in set(CheckResult):
            errors.append(FieldError("result", N_("请选择核查结果：属实或不实")))
        if result == CheckResult.UNTRUE and not note:
            errors.append(FieldError("note", N_("核查不实的，请写明核查情况")))
        if req.action == "correct" and not note:
            errors.append(FieldError("note", N_("更正核查结果，请写明理由")))
        if len(note) > NOTE_MAX:
            errors.append(FieldError("note", N_("最多 1000 个字")))
        if errors:
            raise Invalid(errors)
        change = {"result": result, "note": note}
        before = {"result": req.case.check_result} if req.action == "correct" else {}
        return Outcome(
            CHECKED,
            change,
            Event(req.action, {"result": result}, note),
            audit={**change, **before},
            notify=False,
        )

    async def save(
        self,
        conn: asyncpg.Connection,
        case: Signed,
        expected: str,
        scope: str | None,
        outcome: Outcome[dict[str, str]],
    ) -> bool:
        return await q.save_check(
            conn,
            case,
            expected,
            result=outcome.changes["result"],
            note=outcome.changes["note"],
            by=self.actor_name,
            at=clock.now(),
        )

    async def record(
        self,
        conn: asyncpg.Connection,
        case: Signed,
        expected: str,
        actor: Actor,
        outcome: Outcome[dict[str, str]],
    ) -> None:
        """The audit row (written by the engine) is this case's whole history."""

    async def messages(
        self, conn: asyncpg.Connection, case: Signed, outcome: Outcome[dict[str, str]]
    ) -> Sequence[outbox.Message]:
        return []

    def __init__(self, actor_name: str) -> None:
        self.actor_name = actor_name


def actor_of(user: StaffUser) -> Actor:
    scope = user.department_code if user.role is Role.DEPARTMENT else None
    return Actor(user.username, user.role.value, scope)


async def record_check(
    conn: asyncpg.Connection,
    case_id: int,
    action: str,
    user: StaffUser,
    *,
    expected: str,
    form: Mapping[str, str],
    today: dt.date | None = None,
) -> str:
    """Stale if someone checked first (or the case is out of the user's scope); Invalid for a
    refused role or bad input."""
    if action not in TABLE.moves:
        raise Invalid([engine.ROLE_REFUSED])
    return await engine.apply(
        conn,
        Commitments(user.username),
        case_id,
        action,
        actor_of(user),
        expected=expected,
        form=form,
        today=today,
    )


def allowed(user: StaffUser, case: Signed) -> list[str]:
    return engine.allowed(TABLE, case.status, user.role.value, case)
