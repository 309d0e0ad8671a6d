"""部门核查 (协查) requests through the service (registry/verification/service.py): creation and
its idempotency, who sees what, each step as a compare-and-set, deadlines on the working-day
calendar, overdue by a moved clock, the sweep, 督办, the outbox and audit rows, masking."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.infra import clock
from registry.verification import service, sweep
from registry.verification.models import mask
from registry.workflow.engine import Actor, Invalid, Stale

A, B, C = "CY-BM-001", "CY-BM-002", "CY-BM-003"
CLERK_A = Actor("clerk_a", "department", A)
CLERK_B = Actor("clerk_b", "department", B)
CLERK_C = Actor("clerk_c", "department", C)
OFFICE = Actor("chief", "supervisor")
ITEM = "CY-ZM-010"  # 亲属关系证明, abolished
FRIDAY = dt.date(2026, 12, 4)  # 12-05/06 a weekend
FORM = {
    "code": ITEM,
    "to_department": B,
    "matter": "办理低保",
    "case_ref": "DB-2026-0042",
    "question": "申请人与张四是否为父子关系",
    "applicant": "张三丰 410102199001011234",
}


@pytest.fixture
def at(monkeypatch):
    """at(day, "HH:MM"): China's clock stands there."""

    def move(day: dt.date, hm: str) -> dt.datetime:
        moment = dt.datetime.combine(day, dt.time.fromisoformat(hm), tzinfo=clock.ZONE)
        monkeypatch.setattr(clock, "utc_now", lambda: moment.astimezone(dt.UTC))
        return moment

    move(FRIDAY, "10:00")
    return move


def local(moment: dt.datetime) -> str:
    return clock.local(moment).strftime("%Y-%m-%d %H:%M")


async def outbox(conn, reference: str) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT kind, recipient FROM outbox WHERE params->>'reference' = $1 ORDER BY id",
        reference,
    )
    return [(r["kind"], r["recipient"]) for r in rows]


async def audited(conn, reference: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT action FROM audit_log WHERE entity = 'verification' AND entity_id = $1 ORDER BY id",
        reference,
    )
    return [r["action"] for r in rows]


async def timeline(conn, reference: str) -> list[str]:
    return [e["kind"] for e in await service.events(conn, reference, OFFICE)]


async def test_open_writes_request_event_audit_and_notice(conn, at) -> None:
    await conn.execute("INSERT INTO verification_mailboxes VALUES ($1, 'hr@example.org')", B)
    req = await service.open_request(conn, CLERK_A, FORM)
    assert req.reference.startswith("XC-2026-") and len(req.reference) == 14
    assert (req.status, req.from_department, req.to_department) == ("pending", A, B)
    assert req.item_name == "亲属关系证明" and req.applicant == FORM["applicant"]
    assert local(req.due_at) == "2026-12-04 17:30"  # the same working day
    assert not req.overdue
    assert await timeline(conn, req.reference) == ["open"]
    assert await audited(conn, req.reference) == ["verification.open"]
    assert await outbox(conn, req.reference) == [("verification.open", "hr@example.org")]


async def test_the_same_key_and_form_is_the_same_request(conn, at) -> None:
    first = await service.open_request(conn, CLERK_A, FORM, idempotency_key="k-1")
    again = await service.open_request(conn, CLERK_A, dict(FORM), idempotency_key="k-1")
    assert again.reference == first.reference
    count = await conn.fetchval("SELECT count(*) FROM verification_requests WHERE code = $1", ITEM)
    assert count == 1 and len(await outbox(conn, first.reference)) == 1
    with pytest.raises(Invalid) as other:
        await service.open_request(
            conn, CLERK_A, FORM | {"matter": "别的事"}, idempotency_key="k-1"
        )
    assert [e.field for e in other.value.errors] == ["idempotency_key"]
    # Another department's key space is its own.
    third = await service.open_request(conn, CLERK_C, FORM, idempotency_key="k-1")
    assert third.reference != first.reference


async def test_every_field_error_at_once(conn, at) -> None:
    with pytest.raises(Invalid) as bad:
        await service.open_request(conn, CLERK_A, {"code": "CY-ZM-001", "to_department": A})
    fields = [e.field for e in bad.value.errors]
    assert fields == ["code", "to_department", "matter", "case_ref", "question", "applicant"]
    retained = await conn.fetchval(
        "SELECT code FROM versions_in_force($1::date) WHERE status = 'retained' LIMIT 1", FRIDAY
    )
    with pytest.raises(Invalid) as kept:
        await service.open_request(conn, CLERK_A, FORM | {"code": retained})
    assert [e.field for e in kept.value.errors] == ["code"]
    with pytest.raises(Invalid) as long:
        await service.open_request(conn, CLERK_A, FORM | {"matter": "长" * 201})
    assert long.value.errors[0].field == "matter"
    with pytest.raises(Invalid):  # the office does not open requests
        await service.open_request(conn, OFFICE, FORM)


async def test_only_the_two_departments_and_the_office_see_it(conn, at) -> None:
    ref = (await service.open_request(conn, CLERK_A, FORM)).reference
    for actor in (CLERK_A, CLERK_B, OFFICE):
        assert (await service.get(conn, ref, actor)) is not None
    assert await service.get(conn, ref, CLERK_C) is None
    assert await service.events(conn, ref, CLERK_C) == []
    assert await service.listing(conn, CLERK_C, box="incoming") == []
    for who, action in ((CLERK_C, "receive"), (CLERK_A, "receive")):
        with pytest.raises(Stale):  # out of scope: not found, nothing written
            await service.act(conn, ref, action, who, expected="pending", form={})
    assert (await service.get(conn, ref, OFFICE)).status == "pending"
    with pytest.raises(Invalid):  # the office's role cannot answer
        await service.act(conn, ref, "receive", OFFICE, expected="pending", form={})


async def test_receive_then_answer_with_a_lost_race(conn, at) -> None:
    ref = (await service.open_request(conn, CLERK_A, FORM)).reference
    assert await service.act(conn, ref, "receive", CLERK_B, expected="pending", form={}) == (
        "received"
    )
    with pytest.raises(Stale):  # a second tab still showing 待接收
        await service.act(conn, ref, "receive", CLERK_B, expected="pending", form={})
    with pytest.raises(Invalid) as bad:
        await service.act(conn, ref, "answer", CLERK_B, expected="received", form={"result": "x"})
    assert bad.value.errors[0].field == "result"
    with pytest.raises(Stale):  # the asking department cannot answer its own request
        await service.act(conn, ref, "answer", CLERK_A, expected="received",
                          form={"result": "confirmed"})  # fmt: skip
    at(FRIDAY, "11:00")
    form = {"result": "confirmed", "note": "户籍档案载明父子关系"}
    assert await service.act(conn, ref, "answer", CLERK_B, expected="received", form=form) == (
        "answered"
    )
    req = await service.get(conn, ref, CLERK_A)
    assert (req.result, req.note, req.version) == ("confirmed", form["note"], 2)
    assert local(req.answered_at) == "2026-12-04 11:00" and not req.answered_late
    assert await timeline(conn, ref) == ["open", "receive", "answer"]
    assert await audited(conn, ref) == [
        "verification.open", "verification.receive", "verification.answer",
    ]  # fmt: skip
    kinds = [k for k, _ in await outbox(conn, ref)]
    assert kinds == ["verification.open", "verification.receive", "verification.answer"]
    with pytest.raises(Stale):
        await service.act(conn, ref, "answer", CLERK_B, expected="received", form=form)


async def _due(conn, at, day: dt.date, hm: str, term: tuple[str, int] | None = None) -> str:
    if term:
        await conn.execute(
            "INSERT INTO verification_terms (code, unit, amount) VALUES ($1, $2, $3)"
            " ON CONFLICT (code) DO UPDATE SET unit = $2, amount = $3",
            ITEM, *term,
        )  # fmt: skip
    at(day, hm)
    return local((await service.open_request(conn, CLERK_A, FORM)).due_at)


async def test_deadlines_on_the_working_day_calendar(conn, at) -> None:
    monday, tuesday = FRIDAY + dt.timedelta(days=3), FRIDAY + dt.timedelta(days=4)
    assert await _due(conn, at, FRIDAY, "17:29") == "2026-12-04 17:30"
    assert await _due(conn, at, FRIDAY, "17:30") == "2026-12-07 17:30"  # after hours: Monday
    assert await _due(conn, at, FRIDAY + dt.timedelta(days=1), "09:00") == "2026-12-07 17:30"
    assert await _due(conn, at, FRIDAY, "07:00", ("hours", 4)) == "2026-12-04 12:30"
    assert await _due(conn, at, FRIDAY, "16:00", ("hours", 4)) == "2026-12-07 11:00"
    assert await _due(conn, at, FRIDAY, "16:00", ("days", 2)) == "2026-12-08 17:30"
    # The office makes Monday a holiday: everything moves past it.
    await conn.execute("INSERT INTO calendar_overrides (day, workday) VALUES ($1, false)", monday)
    assert await _due(conn, at, FRIDAY, "16:00", ("hours", 4)) == "2026-12-08 11:00"
    await conn.execute("DELETE FROM verification_terms WHERE code = $1", ITEM)
    assert await _due(conn, at, FRIDAY, "18:00") == "2026-12-08 17:30"
    # ... and a Saturday a 调休 working day.
    await conn.execute(
        "INSERT INTO calendar_overrides (day, workday) VALUES ($1, true)",
        FRIDAY + dt.timedelta(days=1),
    )
    assert await _due(conn, at, FRIDAY, "18:00") == "2026-12-05 17:30"
    assert tuesday.weekday() == 1


async def test_overdue_at_once_then_swept_urged_and_answered_late(conn, at) -> None:
    ref = (await service.open_request(conn, CLERK_A, FORM)).reference
    with pytest.raises(Invalid):  # 督办 only once the deadline has passed
        await service.act(conn, ref, "urge", OFFICE, expected="pending", form={})
    at(FRIDAY, "17:31")
    req = await service.get(conn, ref, CLERK_B)
    assert req.overdue and req.status == "pending"  # flagged before any sweep
    listed = await service.listing(conn, OFFICE, box="all", status="overdue")
    assert [r.reference for r in listed] == [ref]
    assert await sweep.mark_overdue(conn) == 1
    assert await sweep.mark_overdue(conn) == 0  # once
    assert (await service.get(conn, ref, OFFICE)).status == "overdue"
    recipients = [r for k, r in await outbox(conn, ref) if k == "verification.expire"]
    assert recipients == [
        f"{A.lower()}@departments.invalid", f"{B.lower()}@departments.invalid",
        "office@departments.invalid",
    ]  # fmt: skip
    with pytest.raises(Invalid):  # a department cannot 督办
        await service.act(conn, ref, "urge", CLERK_A, expected="overdue", form={})
    urged = await service.act(conn, ref, "urge", OFFICE, expected="overdue",
                              form={"note": "请今日答复"})  # fmt: skip
    assert urged == "overdue"
    incoming = await service.listing(conn, CLERK_B, box="incoming")
    assert incoming[0].urged_count == 1
    assert (await outbox(conn, ref))[-1] == ("verification.urge", "cy-bm-002@departments.invalid")
    at(FRIDAY + dt.timedelta(days=3), "09:00")
    form = {"result": "no_record"}
    assert await service.act(conn, ref, "answer", CLERK_B, expected="overdue", form=form) == (
        "answered"
    )
    req = await service.get(conn, ref, CLERK_A)
    assert req.answered_late and not req.overdue
    assert await timeline(conn, ref) == ["open", "expire", "urge", "answer"]
    assert await audited(conn, ref) == [
        "verification.open", "verification.expire", "verification.urge", "verification.answer",
    ]  # fmt: skip
    events = await service.events(conn, ref, CLERK_A)
    assert events[-1]["params"]["late"] is True and events[1]["actor"] == "system"


async def test_lists_mask_the_applicant_and_split_by_box(conn, at) -> None:
    ref = (await service.open_request(conn, CLERK_A, FORM)).reference
    out = await service.listing(conn, CLERK_A, box="outgoing")
    inc = await service.listing(conn, CLERK_B, box="incoming")
    assert [r.reference for r in out] == [r.reference for r in inc] == [ref]
    assert await service.listing(conn, CLERK_A, box="incoming") == []
    for r in (*out, *inc, *await service.listing(conn, OFFICE, box="all")):
        assert r.applicant == r.applicant_masked == "张** 4101**********1234"
    with pytest.raises(Invalid):
        await service.listing(conn, CLERK_A, box="all")
    with pytest.raises(Invalid):
        await service.listing(conn, CLERK_A, box="incoming", status="lost")


def test_masks() -> None:
    assert mask("张三丰") == "张**"
    assert mask("李四") == "李*"
    assert mask("13812345678") == "138****5678"
    assert mask("41010219900101123X") == "4101**********123X"


async def test_notices_are_rendered_when_sent_in_the_readers_language(conn, at) -> None:
    from registry.web import notices

    ref = (await service.open_request(conn, CLERK_A, FORM)).reference
    row = await conn.fetchrow(
        "SELECT kind, params FROM outbox WHERE params->>'reference' = $1", ref
    )
    subject, body = notices.render_outbox(row["kind"], row["params"], None)
    assert subject == f"协查 {ref}：发起协查"
    assert "县公安局请县人力资源和社会保障局核查，答复期限 2026-12-04 17:30。" in body
    assert "张三丰" not in body and "410102" not in body  # no applicant in any mail
    subject, body = notices.render_outbox(row["kind"], row["params"], "en")
    assert subject == f"Verification request {ref}: New verification request"
    assert f"/staff/verification/{ref}" in body


async def test_housekeeping_runs_the_overdue_step(conn, at, settings) -> None:
    from registry.accounts import housekeeping
    from registry.infra.db import SingleConnectionPool

    ref = (await service.open_request(conn, CLERK_A, FORM)).reference
    await housekeeping.sweep_pool(SingleConnectionPool(conn), settings, steps=(sweep.mark_overdue,))
    assert (await service.get(conn, ref, OFFICE)).status == "pending"  # not due yet
    at(FRIDAY, "18:00")
    await housekeeping.sweep_pool(SingleConnectionPool(conn), settings, steps=(sweep.mark_overdue,))
    assert (await service.get(conn, ref, OFFICE)).status == "overdue"


async def test_a_page_number_past_the_end_is_empty_not_an_error(conn, at) -> None:
    await service.open_request(conn, CLERK_A, FORM)
    assert await service.listing(conn, OFFICE, box="all", page=10**30) == []
    assert len(await service.listing(conn, OFFICE, box="all", page=-5)) >= 1
