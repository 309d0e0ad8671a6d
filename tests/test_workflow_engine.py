"""The workflow engine drives a second kind of case without any complaint code: a 部门核查
request between departments (待接收 -> 已接收 -> 已答复; 超期; 督办), declared here with its
own table, its own SQL (temporary tables, rolled back with the test) and a same-working-day
deadline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import pytest

from registry.infra import outbox
from registry.infra.errorshape import FieldError
from registry.workflow import engine
from registry.workflow.engine import Actor, Event, Guard, Move, Outcome, Table

OFFICE, DEPARTMENT = "office", "department"
PENDING, RECEIVED, ANSWERED, OVERDUE = "待接收", "已接收", "已答复", "超期"
FRIDAY = dt.date(2026, 11, 27)  # 2026-11-28/29 is a weekend

TABLE: Table[asyncpg.Record] = Table(
    "verification",
    {
        "receive": Move(frozenset({PENDING}), RECEIVED, frozenset({DEPARTMENT})),
        "answer": Move(
            frozenset({RECEIVED, OVERDUE}),
            ANSWERED,
            frozenset({DEPARTMENT}),
            Guard(lambda c: c["question"] != "", FieldError("question", "没有要核查的问题")),
        ),
        "expire": Move(frozenset({PENDING, RECEIVED}), OVERDUE, frozenset({OFFICE})),
        "urge": Move(frozenset({OVERDUE}), None, frozenset({OFFICE})),  # 督办: status stays
    },
)


@dataclass(frozen=True)
class Answer:
    """The typed change set of this kind."""

    due: dt.date | None = None
    answer: str | None = None


class Verifications:
    table = TABLE

    async def load(self, conn: asyncpg.Connection, case_id: int, scope: str | None):
        return await conn.fetchrow(
            "SELECT * FROM t_requests WHERE id = $1 AND ($2::text IS NULL OR department = $2)",
            case_id,
            scope,
        )

    def reference(self, case: asyncpg.Record) -> str:
        return f"HC-{case['id']}"

    def status(self, case: asyncpg.Record) -> str:
        return str(case["status"])

    async def plan(self, conn, req: engine.Request[asyncpg.Record]) -> Outcome[Answer]:
        if req.action == "receive":
            due = req.calendar.same_workday()
            return Outcome(RECEIVED, Answer(due=due), Event("receive", {"due": str(due)}))
        if req.action == "answer":
            text = (req.form.get("answer") or "").strip()
            if not text:
                raise engine.Invalid([FieldError("answer", "请填写核查结果")])
            return Outcome(ANSWERED, Answer(answer=text), Event("answer", {}, text))
        status = OVERDUE if req.action == "expire" else req.case["status"]
        return Outcome(status, Answer(), Event(req.action, {}), notify=req.action == "urge")

    async def save(self, conn, case, expected, scope, outcome: Outcome[Answer]) -> bool:
        row = await conn.fetchrow(
            """
            UPDATE t_requests SET status = $3, due = coalesce($4, due),
                   answer = coalesce($5, answer), version = version + 1
            WHERE id = $1 AND status = $2 AND version = $6 RETURNING id
            """,
            case["id"],
            expected,
            outcome.status,
            outcome.changes.due,
            outcome.changes.answer,
            case["version"],
        )
        return row is not None

    async def record(self, conn, case, expected, actor: Actor, outcome: Outcome[Answer]) -> None:
        await conn.execute(
            "INSERT INTO t_events (request_id, kind, params, note) VALUES ($1, $2, $3, $4)",
            case["id"],
            outcome.event.kind,
            outcome.event.params,
            outcome.event.text,
        )

    async def messages(self, conn, case, outcome: Outcome[Answer]) -> Sequence[outbox.Message]:
        if not outcome.notify:
            return []
        return [outbox.Message("dept@example.org", "verification.urge", {"id": case["id"]})]


@pytest.fixture
async def request_id(conn: asyncpg.Connection) -> int:
    await conn.execute(
        """
        CREATE TEMP TABLE t_requests (id serial PRIMARY KEY, status text NOT NULL,
            department text NOT NULL, question text NOT NULL, due date, answer text,
            version int NOT NULL DEFAULT 0) ON COMMIT DROP;
        CREATE TEMP TABLE t_events (id serial PRIMARY KEY, request_id int, kind text,
            params jsonb, note text) ON COMMIT DROP;
        """
    )
    return int(
        await conn.fetchval(
            "INSERT INTO t_requests (status, department, question) VALUES ($1, 'D1', '户籍')"
            " RETURNING id",
            PENDING,
        )
    )


DEPT = Actor("dep1", DEPARTMENT, "D1")
CHIEF = Actor("chief", OFFICE)


async def act(conn, rid: int, action: str, actor: Actor, expected: str, **form: str) -> str:
    return await engine.apply(
        conn, Verifications(), rid, action, actor, expected=expected, form=form, today=FRIDAY
    )


async def written(conn, rid: int) -> tuple[list[str], list[str], int]:
    kinds = [r["kind"] for r in await conn.fetch("SELECT kind FROM t_events ORDER BY id")]
    audit = await conn.fetch(
        "SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY id", f"HC-{rid}"
    )
    mails = await conn.fetchval("SELECT count(*) FROM outbox WHERE kind = 'verification.urge'")
    return kinds, [a["action"] for a in audit], mails


def test_the_table_answers_who_may_do_what_now() -> None:
    assert engine.allowed(TABLE, PENDING, DEPARTMENT) == ["receive"]
    assert engine.allowed(TABLE, PENDING, OFFICE) == ["expire"]
    assert engine.allowed(TABLE, OVERDUE, OFFICE) == ["urge"]
    assert engine.allowed(TABLE, ANSWERED, DEPARTMENT) == []
    # The guard is asked when the case is given.
    assert engine.allowed(TABLE, RECEIVED, DEPARTMENT, {"question": "户籍"}) == ["answer"]
    assert engine.allowed(TABLE, RECEIVED, DEPARTMENT, {"question": ""}) == []


async def test_a_second_kind_runs_through_the_engine(conn, request_id) -> None:
    rid = request_id
    assert await act(conn, rid, "receive", DEPT, PENDING) == RECEIVED
    # Received on a Friday: due the same working day.
    assert await conn.fetchval("SELECT due FROM t_requests WHERE id = $1", rid) == FRIDAY
    assert await act(conn, rid, "answer", DEPT, RECEIVED, answer="属实") == ANSWERED
    kinds, audit, _ = await written(conn, rid)
    assert kinds == ["receive", "answer"]
    assert audit == ["verification.receive", "verification.answer"]
    row = await conn.fetchrow("SELECT status, answer, version FROM t_requests WHERE id = $1", rid)
    assert tuple(row) == (ANSWERED, "属实", 2)


async def test_same_working_day_on_a_weekend_is_the_next_working_day(conn) -> None:
    saturday = FRIDAY + dt.timedelta(days=1)
    calendar = engine.Calendar(saturday, {})
    assert calendar.same_workday() == dt.date(2026, 11, 30)
    assert engine.Calendar(FRIDAY, {FRIDAY: False}).same_workday() == dt.date(2026, 11, 30)


async def test_overdue_and_urged_with_a_message_in_the_same_transaction(conn, request_id) -> None:
    rid = request_id
    assert await act(conn, rid, "expire", CHIEF, PENDING) == OVERDUE
    assert await act(conn, rid, "urge", CHIEF, OVERDUE) == OVERDUE  # 督办 keeps the status
    kinds, audit, mails = await written(conn, rid)
    assert kinds == ["expire", "urge"] and audit[-1] == "verification.urge" and mails == 1


async def test_refusals_write_nothing(conn, request_id) -> None:
    rid = request_id
    with pytest.raises(engine.Invalid) as refused:
        await act(conn, rid, "expire", DEPT, PENDING)
    assert refused.value.errors[0].message == "您的角色不能执行这个操作"
    with pytest.raises(engine.Stale):  # the page showed another status
        await act(conn, rid, "answer", DEPT, RECEIVED, answer="x")
    with pytest.raises(engine.Stale):  # another department's request is not found
        await act(conn, rid, "receive", Actor("dep2", DEPARTMENT, "D2"), PENDING)
    await act(conn, rid, "receive", DEPT, PENDING)
    with pytest.raises(engine.Invalid) as bad:
        await act(conn, rid, "answer", DEPT, RECEIVED, answer="  ")
    assert bad.value.errors[0].field == "answer"
    await conn.execute("UPDATE t_requests SET question = '' WHERE id = $1", rid)
    with pytest.raises(engine.Invalid) as guarded:
        await act(conn, rid, "answer", DEPT, RECEIVED, answer="属实")
    assert guarded.value.errors[0].message == "没有要核查的问题"
    kinds, audit, _ = await written(conn, rid)
    assert kinds == ["receive"] and audit == ["verification.receive"]


class Raced(Verifications):
    """Someone moves the request between our read and our write."""

    async def load(self, conn, case_id, scope):
        case = await super().load(conn, case_id, scope)
        await conn.execute("UPDATE t_requests SET version = version + 1 WHERE id = $1", case_id)
        return case


async def test_losing_the_race_is_stale_and_rolls_back_the_step(conn, request_id) -> None:
    rid = request_id
    with pytest.raises(engine.Stale):
        await engine.apply(
            conn, Raced(), rid, "expire", CHIEF, expected=PENDING, form={}, today=FRIDAY
        )
    kinds, audit, mails = await written(conn, rid)
    assert (kinds, audit, mails) == ([], [], 0)
    # The whole step was one transaction: the racing write inside it is gone too.
    assert await conn.fetchval("SELECT version FROM t_requests WHERE id = $1", rid) == 0
