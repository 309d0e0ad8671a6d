"""One column list and one "version in force" (issue 13): the list's queries read the table
through queries/columns.py and the SQL function versions_in_force (migration 0018)."""

from __future__ import annotations

import datetime as dt

import asyncpg

from registry.catalogue import transfer
from registry.catalogue.models import Certificate
from registry.catalogue.queries import certificates as q
from registry.catalogue.queries import columns
from registry.catalogue.queries import imports as iq

HEADER = [zh for _, zh in transfer.COLUMNS]
# Columns about the version, not the item: who, when, why, and its range's end.
BOOKKEEPING = {
    "id", "valid_to", "changed_by", "change_reason", "recorded_at", "superseded_at", "initial",
}  # fmt: skip

# The queries as they were written before 0018, kept here as the reference.
OLD_IN_FORCE = """
    SELECT id FROM certificate_versions
    WHERE superseded_at IS NULL AND valid_from <= $1::date
      AND (valid_to IS NULL OR valid_to > $1::date)
    ORDER BY code
"""
OLD_LATEST = """
    SELECT DISTINCT ON (code) id FROM certificate_versions
    WHERE superseded_at IS NULL ORDER BY code, valid_from DESC
"""


async def test_the_column_list_is_every_column_of_an_item(conn):
    found = {
        r["column_name"]
        for r in await conn.fetch(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'certificate_versions'"
        )
    }
    assert set(columns.COLUMNS) == found - BOOKKEEPING
    assert len(columns.COLUMNS) == len(Certificate.__struct_fields__)


async def test_an_item_reads_back_as_written_field_for_field(conn):
    cert = Certificate(
        code="T-COLS-1",
        name="列测试证明",
        status="retained",
        aliases=["别名一", "别名二"],
        issuer="某局",
        demanded_by=["甲局"],
        matters=["某事项"],
        legal_basis="《某法》第一条",
        legal_basis_level="法律",
        domain="民政",
        replacement="申请人书面承诺",
        replacement_methods=["申请人书面承诺"],
        retain_reason="法律规定",
        decision_doc="长政〔2030〕1号",
        effective_from=dt.date(2030, 1, 1),
        note="备注",
    )
    await iq.insert_versions(conn, [cert], changed_by="test", change_reason="测试")
    assert await q.get_latest(conn, "T-COLS-1") == cert
    assert await q.get_certificate(conn, "T-COLS-1", on=dt.date(2030, 1, 1)) == cert
    assert await q.get_certificate(conn, "T-COLS-1", on=dt.date(2029, 12, 31)) is None


async def _ids(conn: asyncpg.Connection, sql: str, *args: object) -> list[int]:
    return [r["id"] for r in await conn.fetch(sql, *args)]


async def _edit(conn: asyncpg.Connection) -> tuple[dt.date, dt.date]:
    """A scheduled change of one item and a same-day correction of another: the cases where
    'in force', 'newest' and 'live' differ. Returns (the list's first date, the change's)."""
    first: dt.date = await conn.fetchval("SELECT min(valid_from) FROM certificate_versions")
    later = first + dt.timedelta(days=400)
    table = [HEADER, *(transfer.to_cells(c) for c in await q.list_latest(conn))]
    scheduled, corrected = table[1], table[2]
    scheduled[HEADER.index("备注")] = "排期修改"
    scheduled[HEADER.index("生效日期")] = later.isoformat()
    corrected[HEADER.index("备注")] = "当日更正"
    report = await transfer.import_table(
        conn, [HEADER, scheduled, corrected], apply=True, actor="test"
    )
    assert report.applied and len(report.changed) == 2
    return first, later


async def test_the_version_in_force_is_what_the_old_queries_gave(conn):
    first, later = await _edit(conn)
    for day in (
        first - dt.timedelta(days=1),
        first,
        later - dt.timedelta(days=1),
        later,
        later + dt.timedelta(days=30),
    ):
        new = await _ids(conn, "SELECT id FROM versions_in_force($1::date) ORDER BY code", day)
        assert new == await _ids(conn, OLD_IN_FORCE, day), day
    newest = await _ids(conn, "SELECT id FROM versions_in_force('infinity') ORDER BY code")
    assert newest == await _ids(conn, OLD_LATEST)
    assert len(newest) == 173
    assert await _ids(conn, OLD_IN_FORCE, first - dt.timedelta(days=1)) == []


async def test_the_queries_agree_on_a_scheduled_change(conn):
    first, later = await _edit(conn)
    code = (await q.list_latest(conn))[0].code
    latest = await q.get_latest(conn, code)
    assert latest is not None and latest.note == "排期修改"
    assert latest == await q.get_certificate(conn, code, on=later)
    now = await q.get_certificate(conn, code, on=first)
    assert now is not None and now.note != "排期修改"
    assert await iq.latest_version_id(conn, code) == await conn.fetchval(
        "SELECT id FROM certificate_versions WHERE code = $1 AND valid_from = $2", code, later
    )
    found = await iq.latest_of(conn, [code], [])
    assert found == [latest]
    page, total = await iq.latest_page(conn, q=code, status=None, limit=5, offset=0)
    assert page == [latest] and total == 1
    items, total = await q.list_certificates(conn, on=first, limit=1)
    assert items == [now] and total == 173


async def test_the_function_is_inlined_and_reads_through_the_code_index(conn):
    """A function the planner could not inline would read the whole table on every call
    (a "Function Scan"); inlined, a question about one code uses the (code, valid_from)
    index, as the queries before 0018 did."""
    await conn.execute("SET LOCAL enable_seqscan = off")
    for sql in (
        "SELECT id FROM versions_in_force($1::date) WHERE code = $2",
        "SELECT id FROM versions_in_force('infinity') WHERE code = $2 AND $1::date IS NOT NULL",
    ):
        plan = "\n".join(
            r[0] for r in await conn.fetch(f"EXPLAIN {sql}", dt.date(2030, 1, 1), "CY-ZM-001")
        )
        assert "Function Scan" not in plan
        assert "certificate_versions_code" in plan, plan
