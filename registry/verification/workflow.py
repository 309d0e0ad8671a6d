"""The 协查 workflow: its transition table and its steps, run by registry.workflow.engine (each
step one transaction: state, event, audit, outbox).

pending -> received -> answered (by the consulted department); pending|received -> overdue
(the sweep, or the office); 督办 (urge) by the office once the deadline has passed, the status
unchanged. Answering late stays possible (answered_at > due_at says it was late).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from registry.accounts.models import Role
from registry.infra import clock, outbox
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.verification.models import LIMITS, OPEN, RESULTS, Status
from registry.verification.queries import requests as q
from registry.verification.queries.requests import Changes
from registry.workflow import engine
from registry.workflow.engine import Event, Guard, Invalid, Move, Outcome, Stale, Table

SYSTEM = "system"  # the housekeeping sweep's role (and actor name)
OFFICE = "office"  # the mailbox owner of the supervising office
Case = asyncpg.Record  # queries.requests.SELECT
S = Status


def past_due(case: Any) -> bool:
    """Unanswered after its deadline (the pages flag it at once, before the sweep runs)."""
    return case["status"] == S.OVERDUE or (case["status"] in OPEN and case["due_at"] < clock.now())


NOT_DUE = FieldError("action", N_("答复期限还没有到"))
TABLE: Table[Any] = Table(  # cases: query rows, or a page's mapping of the same fields
    "verification",
    {
        "receive": Move(frozenset({S.PENDING}), S.RECEIVED, frozenset({Role.DEPARTMENT})),
        "answer": Move(
            frozenset({S.RECEIVED, S.OVERDUE}), S.ANSWERED, frozenset({Role.DEPARTMENT})
        ),
        "expire": Move(
            frozenset(OPEN),
            S.OVERDUE,
            frozenset({SYSTEM, Role.SUPERVISOR}),
            Guard(past_due, NOT_DUE),
        ),
        "urge": Move(
            frozenset({*OPEN, S.OVERDUE}),
            None,
            frozenset({Role.SUPERVISOR}),
            Guard(past_due, NOT_DUE),
        ),
    },
)
# The steps only the consulted department takes.
ADDRESSEE_ONLY = frozenset({"receive", "answer"})


def allowed(case: Mapping[str, Any], role: str, scope: str | None) -> list[str]:
    """The actions this actor may take on the case now (what a page offers)."""
    actions = engine.allowed(TABLE, case["status"], role, case)
    if scope != case["to_department"]:
        actions = [a for a in actions if a not in ADDRESSEE_ONLY]
    return actions


def text(form: Mapping[str, str], field: str, message: str = "") -> str:
    """A form field, stripped; required when there is a message for its absence."""
    value = (form.get(field) or "").strip()
    if not value and message:
        raise Invalid([FieldError(field, message)])
    if len(value) > LIMITS[field]:
        raise Invalid([FieldError(field, too_long(LIMITS[field]))])
    return value


TOO_LONG = N_("不能超过 {limit} 个字")


def too_long(limit: int) -> str:
    return TOO_LONG.format(limit=limit)


def due_text(case: Case) -> str:
    return clock.local(case["due_at"]).strftime("%Y-%m-%d %H:%M")


class Verifications:
    """The request's steps for the engine (engine.Kind)."""

    table = TABLE

    def __init__(self, public_url: str = "") -> None:
        self.public_url = public_url

    async def load(self, conn: asyncpg.Connection, case_id: int, scope: str | None) -> Case | None:
        return await q.get_by_id(conn, case_id, scope)

    def reference(self, case: Case) -> str:
        return str(case["reference"])

    def status(self, case: Case) -> str:
        return str(case["status"])

    async def plan(self, conn: asyncpg.Connection, req: engine.Request[Case]) -> Outcome[Changes]:
        case, now = req.case, clock.now()
        if req.action in ADDRESSEE_ONLY and req.actor.scope != case["to_department"]:
            raise Stale("not the consulted department")
        if req.action == "receive":
            event = Event("receive", {"to_name": case["to_name"]})
            return _done(Outcome(S.RECEIVED, Changes(received_at=now), event))
        if req.action == "answer":
            result = req.form.get("result") or ""
            if result not in RESULTS:
                raise Invalid([FieldError("result", N_("请选择核查结果"))])
            note = text(req.form, "note")
            late = now > case["due_at"]
            changes = Changes(answered_at=now, result=result, note=note)
            return _done(
                Outcome(
                    S.ANSWERED, changes, Event("answer", {"result": result, "late": late}, note)
                )
            )
        if req.action == "expire":
            event = Event("expire", {"due": due_text(case)})
            return _done(Outcome(S.OVERDUE, Changes(overdue_at=now), event))
        note = text(req.form, "note")
        event = Event("urge", {"count": case["urged_count"] + 1}, note)
        return _done(Outcome(str(case["status"]), Changes(urged_at=now), event))

    async def save(
        self,
        conn: asyncpg.Connection,
        case: Case,
        expected: str,
        scope: str | None,
        outcome: Outcome[Changes],
    ) -> bool:
        return await q.compare_and_set(
            conn, case["id"], expected, case["version"], outcome.status, outcome.changes
        )

    async def record(
        self,
        conn: asyncpg.Connection,
        case: Case,
        expected: str,
        actor: engine.Actor,
        outcome: Outcome[Changes],
    ) -> None:
        e = outcome.event
        await q.insert_event(
            conn, case["id"], at=clock.now(), kind=e.kind, params=e.params, actor=actor.name,
            status_from=expected, status_to=outcome.status, note=e.text,
        )  # fmt: skip

    async def messages(
        self, conn: asyncpg.Connection, case: Case, outcome: Outcome[Changes]
    ) -> Sequence[outbox.Message]:
        kind = outcome.event.kind
        owners = {
            "receive": [case["from_department"]],
            "answer": [case["from_department"]],
            "expire": [case["from_department"], case["to_department"], OFFICE],
            "urge": [case["to_department"]],
        }[kind]
        return await notices(conn, case, outcome.status, outcome.event, owners)


def _done(outcome: Outcome[Changes]) -> Outcome[Changes]:
    outcome.audit = outcome.changes.for_audit()
    return outcome


def address(owner: str, boxes: Mapping[str, str]) -> str:
    """Where an owner's notices go; a local .invalid address until the office sets one."""
    return boxes.get(owner) or f"{owner.lower()}@departments.invalid"


async def notices(
    conn: asyncpg.Connection, case: Case | Mapping[str, Any], status: str, e: Event,
    owners: list[str],
) -> list[outbox.Message]:  # fmt: skip
    """One message per owner (a department's code, or OFFICE), rendered when sent."""
    boxes = await q.mailboxes(conn, owners)
    params = {
        "reference": case["reference"],
        "item_name": case["item_name"],
        "matter": case["matter"],
        "status": status,
        "event": {"kind": e.kind, "params": e.params, "text": e.text},
        "path": f"/staff/verification/{case['reference']}",
    }
    return [outbox.Message(address(o, boxes), f"verification.{e.kind}", params) for o in owners]
