"""告知承诺, below the pages: the ID check digit, masking, the seeded forms and their versions,
the check through the workflow engine (compare-and-set, audited, once), retention with a moved
clock, and the per-item figures with the minimum volume."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from registry.accounts import housekeeping
from registry.accounts.models import Role, StaffUser
from registry.commitments import checks
from registry.commitments.models import (
    PLEDGE_METHODS,
    FormIn,
    id_number_valid,
    mask_id,
    validate_form,
    validate_sign,
)
from registry.commitments.queries import forms, signed
from registry.complaints.queries.stats import MIN_CASES
from registry.infra import clock
from tests.commitment_helpers import CANARY_ID, CODE, DEPT_A, sign_directly, with_check_digit

DEPT_B = "CY-BM-002"
CLERK_A = StaffUser(
    id=1, username="a", display_name="a", role=Role.DEPARTMENT, department_code=DEPT_A
)
CLERK_B = StaffUser(
    id=2, username="b", display_name="b", role=Role.DEPARTMENT, department_code=DEPT_B
)
OFFICE = StaffUser(
    id=3, username="sup", display_name="s", role=Role.SUPERVISOR, department_code=None
)


def test_id_numbers_need_their_check_digit_and_a_real_birth_date():
    assert id_number_valid("11010519491231002X")  # GB 11643's own example
    assert not id_number_valid("110105194912310021")  # wrong check digit
    assert not id_number_valid("11010519491231002x")  # the form upper-cases before this
    assert not id_number_valid(with_check_digit("41072819900307123")[:17])
    assert not id_number_valid("410728" + "19900230" + "1234")  # no such day, and short
    assert mask_id(CANARY_ID) == CANARY_ID[:3] + "*" * 13 + CANARY_ID[-2:]


def test_signing_input_lists_every_error_and_normalises():
    errors = validate_sign({"phone": "12"}, {DEPT_A})
    assert isinstance(errors, list)
    assert {e.field for e in errors} == {
        "department",
        "matter",
        "name",
        "id_number",
        "phone",
        "pledge",
    }
    ok = validate_sign(
        {"department": DEPT_A, "matter": " 办  证 ", "name": "王五", "pledge": "yes",
         "id_number": CANARY_ID.lower() if CANARY_ID.endswith("X") else CANARY_ID},
        {DEPT_A},
    )  # fmt: skip
    assert not isinstance(ok, list) and ok.matter == "办 证" and ok.id_number == CANARY_ID


async def test_every_commitment_item_in_force_has_a_seeded_form(conn):
    missing = await conn.fetchval(
        """
        SELECT count(*) FROM certificate_versions v
        WHERE v.superseded_at IS NULL AND v.valid_to IS NULL AND v.status = 'abolished'
          AND v.replacement_methods && $1::text[]
          AND NOT EXISTS (SELECT 1 FROM commitment_forms f WHERE f.code = v.code)
        """,
        list(PLEDGE_METHODS),
    )
    assert missing == 0
    form = await forms.current(conn, CODE, clock.today())
    assert form is not None and form.item_name.startswith("婚姻状况证明")
    assert "不属实" in form.liability and form.methods == ["书面承诺", "在线签署"]
    assert await forms.seed_defaults(conn, "seed") == 0  # once only


def _edit(**over):  # type: ignore[no-untyped-def]
    values = {"item_name": "婚姻状况证明", "basis": "某文", "obligation": "本人未婚",
              "liability": "依法追责", "check_method": "部门核查", "check_days": "10",
              "reason": "改写"} | over  # fmt: skip
    result = validate_form(values, ["在线签署"])
    assert isinstance(result, FormIn), result
    return result


async def test_an_edit_makes_a_version_and_keeps_the_old_one(conn):
    today = clock.today()
    first = await forms.current(conn, CODE, today)
    before, after = await forms.add_version(conn, CODE, _edit(), "sup", today)
    assert before is not None and before.id == first.id
    assert (await forms.current(conn, CODE, today)).id == after.id
    assert (await forms.current(conn, CODE, today - dt.timedelta(days=1))).id == first.id
    # A second edit the same day supersedes that day's version; the first stays as it was.
    _, again = await forms.add_version(conn, CODE, _edit(obligation="本人已婚"), "sup", today)
    history = await forms.history(conn, CODE)
    assert (await forms.current(conn, CODE, today)).id == again.id
    assert {again.id, after.id, first.id} <= {v.id for v in history}
    superseded = next(v for v in history if v.id == after.id)
    assert superseded.superseded_at is not None
    kept = next(v for v in history if v.id == first.id)
    assert kept.obligation == first.obligation and kept.valid_to == today


def test_the_form_edit_lists_every_error():
    errors = validate_form({"check_days": "0"}, ["传真"])
    assert isinstance(errors, list)
    fields = {e.field for e in errors}
    assert fields == {"item_name", "obligation", "liability", "check_method", "reason", "methods",
                      "check_days"}  # fmt: skip


async def _one(conn) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    (ref,) = await sign_directly(conn, 1)
    return int(await conn.fetchval("SELECT id FROM commitments WHERE reference = $1", ref)), ref


async def test_the_check_is_recorded_once_audited_and_only_in_scope(conn):
    cid, ref = await _one(conn)
    untrue = {"result": "untrue", "note": "与民政记录不符"}
    with pytest.raises(checks.Stale):  # another department: as if it did not exist
        await checks.record_check(conn, cid, "check", CLERK_B, expected="signed", form=untrue)
    with pytest.raises(checks.Invalid) as bad:
        await checks.record_check(conn, cid, "check", CLERK_A, expected="signed",
                                  form={"result": "untrue"})  # fmt: skip
    assert [e.field for e in bad.value.errors] == ["note"]
    await checks.record_check(conn, cid, "check", CLERK_A, expected="signed", form=untrue)
    with pytest.raises(checks.Stale):  # the same page again: compare-and-set refuses
        await checks.record_check(conn, cid, "check", CLERK_A, expected="signed", form=untrue)
    with pytest.raises(checks.Invalid):  # only the office corrects
        await checks.record_check(conn, cid, "correct", CLERK_A, expected="checked", form=untrue)
    fixed = {"result": "true", "note": "复核后属实"}
    await checks.record_check(conn, cid, "correct", OFFICE, expected="checked", form=fixed)
    row = await signed.get(conn, ref, None)
    assert row.check_result == "true" and row.checked_by == "sup" and row.version == 2
    audit = await conn.fetch(
        "SELECT actor, action, after FROM audit_log WHERE entity_id = $1 ORDER BY id", ref
    )
    assert [(a["actor"], a["action"]) for a in audit] == [
        ("public", "commitment.sign"), ("a", "commitment.check"), ("sup", "commitment.correct")
    ]  # fmt: skip
    assert CANARY_ID not in str([dict(a) for a in audit])


async def test_retention_erases_the_signer_and_keeps_the_figures(conn, settings, monkeypatch):
    cid, ref = await _one(conn)
    short = msgspec.structs.replace(settings, commitment_retention_days=30)
    swept = await housekeeping.sweep(conn, short)
    assert swept.commitment_signers == 0  # signed today
    later = clock.utc_now() + dt.timedelta(days=31)
    monkeypatch.setattr(clock, "utc_now", lambda: later)
    swept = await housekeeping.sweep(conn, short)
    assert swept.commitment_signers >= 1
    row = await signed.get(conn, ref, None)
    assert row.erased_at is not None and (row.name, row.id_number, row.phone) == ("", "", "")
    assert (
        await conn.fetchval("SELECT count(*) FROM commitment_signers WHERE commitment_id = $1", cid)
        == 0
    )
    assert (await signed.totals(conn))[0] >= 1


async def test_figures_only_for_items_at_the_minimum_volume(conn):
    refs = await sign_directly(conn, MIN_CASES - 1)
    assert [i for i in await signed.item_figures(conn, MIN_CASES) if i.code == CODE] == []
    refs += await sign_directly(conn, 1)
    ids = [await conn.fetchval("SELECT id FROM commitments WHERE reference = $1", r) for r in refs]
    await checks.record_check(conn, ids[0], "check", CLERK_A, expected="signed",
                              form={"result": "untrue", "note": "不符"})  # fmt: skip
    await checks.record_check(conn, ids[1], "check", CLERK_A, expected="signed",
                              form={"result": "true"})  # fmt: skip
    (item,) = [i for i in await signed.item_figures(conn, MIN_CASES) if i.code == CODE]
    assert (item.signed, item.checked, item.untrue) == (MIN_CASES, 2, 1)
    assert item.checked_rate == round(2 / MIN_CASES, 3) and item.untrue_rate == 0.5
