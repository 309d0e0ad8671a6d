"""Import/export: dry-run, row errors, versions, the list on an earlier date, round trips."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.catalogue import sheets, transfer
from registry.catalogue.models import Status
from registry.catalogue.queries import certificates as q
from registry.infra import clock

HEADER = [zh for _, zh in transfer.COLUMNS]
TODAY = clock.today()


def row(**values: str) -> list[str]:
    fields = [f for f, _ in transfer.COLUMNS]
    return [values.get(f, "") for f in fields]


async def current_table(conn) -> list[list[str]]:
    items = await q.list_latest(conn)
    return [HEADER, *(transfer.to_cells(c) for c in items)]


async def test_export_then_import_is_a_noop(conn):
    table = await current_table(conn)
    report = await transfer.import_table(conn, table, apply=True, actor="test")
    assert report.counts() == {
        "added": 0,
        "changed": 0,
        "unchanged": 173,
        "errors": [],
        "warnings": [],
    }
    assert not report.applied


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_file_round_trip_reads_back_the_same_rows(conn, fmt):
    items = await q.list_latest(conn)
    data = transfer.export_csv(items) if fmt == "csv" else transfer.export_xlsx(items)
    parsed, errors = transfer.parse_rows(transfer.read_table(data, f"x.{fmt}"), today=TODAY)
    assert errors == []
    assert [p.cert for p in parsed] == items


async def test_bad_rows_are_reported_and_nothing_applies(conn):
    before = await q.max_version_id(conn)
    table = [
        HEADER,
        row(
            name="新证明甲",
            status="保留",
            legal_basis="《某法》第一条",
            effective_from="2030-01-01",
        ),
        row(name="新证明乙", status="作废"),
        row(name="", status="取消"),
        row(name="新证明丙", status="取消", effective_from="2024-02-30"),
        row(name="新证明丁", status="取消", legal_basis_level="红头文件"),
    ]
    report = await transfer.import_table(conn, table, apply=True, actor="test")
    assert [(e.row, e.message[:4]) for e in report.errors] == [
        (3, "状态“作"),
        (4, "证明名称"),
        (5, "生效日期"),
        (6, "依据层级"),
    ]
    assert not report.applied
    assert await q.max_version_id(conn) == before


async def test_missing_required_column_is_an_error(conn):
    with pytest.raises(transfer.TransferError, match="状态"):
        transfer.parse_rows([["证明名称"], ["x"]], today=TODAY)


async def test_changed_import_makes_a_version_and_keeps_the_earlier_list(conn):
    old = await q.get_certificate(conn, "CY-ZM-010", on=TODAY)
    assert old is not None and old.effective_from is not None
    table = await current_table(conn)
    idx = next(i for i, r in enumerate(table) if r[0] == "CY-ZM-010")
    flipped = "保留" if old.status is Status.ABOLISHED else "取消"
    cells = table[idx]
    cells[HEADER.index("状态")] = flipped
    cells[HEADER.index("设定依据")] = cells[HEADER.index("设定依据")] or "《某法》第一条"
    cells[HEADER.index("生效日期")] = "2025-03-01"
    cells[HEADER.index("决定文号")] = "长政〔2025〕1号"
    if flipped == "保留":  # a retained item has no replacement kind
        cells[HEADER.index("办理方式类型")] = ""
    before_dry = await q.max_version_id(conn)
    dry = await transfer.import_table(conn, table, apply=False, actor="test")
    assert dry.changed == ["CY-ZM-010"] and "status" in dry.changes["CY-ZM-010"]
    assert await q.max_version_id(conn) == before_dry  # dry-run wrote nothing
    assert (await q.get_latest(conn, "CY-ZM-010")) == old
    report = await transfer.import_table(conn, table, apply=True, actor="test")
    assert report.applied and report.changed == ["CY-ZM-010"]

    before = await q.get_certificate(conn, "CY-ZM-010", on=dt.date(2025, 2, 28))
    after = await q.get_certificate(conn, "CY-ZM-010", on=dt.date(2025, 3, 1))
    assert before is not None and before.status == old.status
    assert after is not None and after.status != old.status
    hist = await q.history(conn, "CY-ZM-010")
    assert [(v.valid_from, v.valid_to) for v in hist] == [
        (dt.date(2025, 3, 1), None),
        (old.effective_from, dt.date(2025, 3, 1)),
    ]
    earlier = await q.summary(conn, on=dt.date(2025, 2, 28))
    later = await q.summary(conn, on=dt.date(2025, 3, 1))
    assert earlier.reviewed == later.reviewed == 173
    assert earlier.retained != later.retained


async def test_backdating_before_the_current_version_is_refused(conn):
    table = await current_table(conn)
    cells = table[1]
    cells[HEADER.index("备注")] = "改"
    cells[HEADER.index("生效日期")] = "2000-01-01"
    report = await transfer.import_table(conn, [HEADER, cells], apply=True, actor="test")
    assert report.errors and report.errors[0].row == 2 and not report.applied


async def test_same_day_correction_supersedes_without_deleting(conn):
    table = await current_table(conn)
    cells = table[1]
    code = cells[0]
    cells[HEADER.index("备注")] = "更正"
    report = await transfer.import_table(conn, [HEADER, cells], apply=True, actor="test")
    assert report.changed == [code]
    hist = await q.history(conn, code)
    assert len(hist) == 2 and hist[1].superseded_at is not None
    latest = await q.get_latest(conn, code)
    assert latest is not None and latest.note == "更正"


async def test_new_row_without_code_gets_the_next_code(conn):
    table = [HEADER, row(name="新增证明", status="取消", replacement="直接取消", effective_from="")]
    report = await transfer.import_table(conn, table, apply=True, actor="test")
    assert report.added == ["新增证明"] and report.applied
    item = await q.get_certificate(conn, "CY-ZM-174", on=TODAY)
    assert item is not None and item.name == "新增证明" and item.effective_from == TODAY
    assert item.replacement_methods == ["直接取消"]


def test_formula_cells_are_neutralised_and_restored():
    assert sheets.neutralise("=1+1") == "'=1+1"
    assert sheets.neutralise("-x") == "'-x"
    assert sheets.neutralise("正常") == "正常"
    assert sheets.unneutralise("'=1+1") == "=1+1"


def test_gb18030_csv_is_read():
    data = "证明名称,状态\n户籍证明,取消\n".encode("gb18030")
    parsed, errors = transfer.parse_rows(transfer.read_table(data, "x.csv"), today=TODAY)
    assert not errors and parsed[0].cert.name == "户籍证明"


def test_replacement_methods_are_recognised():
    assert transfer.replacement_methods("改为申请人书面声明；部门核查") == [
        "申请人书面承诺",
        "部门间核查",
    ]


async def test_a_file_without_a_column_keeps_that_field(conn):
    latest = await q.get_latest(conn, "CY-ZM-020")
    assert latest is not None and latest.issuer and latest.matters
    table = [
        ["编号", "证明名称", "状态", "备注"],
        [
            "CY-ZM-020",
            latest.name,
            "取消" if latest.status is Status.ABOLISHED else "保留",
            "只改备注",
        ],
    ]
    report = await transfer.import_table(conn, table, apply=True, actor="test")
    assert report.changes == {"CY-ZM-020": ["note"]} and report.applied
    after = await q.get_latest(conn, "CY-ZM-020")
    assert after.issuer == latest.issuer and after.matters == latest.matters
    assert after.note == "只改备注"


async def test_the_same_item_twice_in_one_file_is_an_error(conn):
    latest = await q.get_latest(conn, "CY-ZM-020")
    status = "取消" if latest.status is Status.ABOLISHED else "保留"
    table = [
        ["编号", "证明名称", "状态", "备注"],
        ["CY-ZM-020", latest.name, status, "甲"],
        ["", latest.name, status, "乙"],
    ]
    report = await transfer.import_table(conn, table, apply=True, actor="test")
    assert [e.row for e in report.errors] == [3] and not report.applied
