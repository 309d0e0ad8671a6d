"""The replacement's kind (issue 15): derived from the 取消后办理方式 text where unambiguous,
reported where not, validated where written, kept through export and import."""

from __future__ import annotations

import pytest

from registry.catalogue import transfer
from registry.catalogue.listformat import kind_notice, replacement_kind_of
from registry.catalogue.models import REPLACEMENT_KINDS, Certificate, Status
from registry.catalogue.queries import certificates as q
from registry.infra import clock

TODAY = clock.today()
OLD_HEADER = ["证明名称", "状态", "取消后办理方式", "设定依据"]  # a file from before the column
NEW_HEADER = [*OLD_HEADER, "办理方式类型"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("直接取消", "cancelled"),
        ("申请人书面承诺：填写承诺书", "commitment"),
        ("告知承诺制", "commitment"),
        ("书面承诺", "commitment"),  # a synonym of a method
        ("申请人书面承诺、告知承诺制", "commitment"),  # two methods, one kind
        ("部门间核查：由民政局核查", "verification"),
        ("内部核查", "verification"),
        ("数据共享：人脸识别", "data_sharing"),
        ("信息共享", "data_sharing"),
        ("现有证照核验：凭身份证", "licence_check"),
        ("调整开具单位：由医院出具", "other"),
        # reported: several kinds, or none recognised
        ("申请人书面承诺、数据共享：…", ""),
        ("直接取消、部门间核查", ""),
        ("不再需要", ""),
        ("", ""),
    ],
)
def test_the_kind_a_text_names(text, kind):
    assert replacement_kind_of(text) == kind
    cert = Certificate(code="", name="x", status=Status.ABOLISHED, replacement=text)
    cert.replacement_kind = kind
    notice = kind_notice(cert)
    assert bool(notice) == (kind == "")
    if "、" in text and not kind:
        assert "几种" in notice and "、" in notice  # names the kinds it found
    retained = Certificate(code="", name="x", status=Status.RETAINED, replacement=text)
    assert kind_notice(retained) == ""  # a retained item has no kind to miss


def parse(header, *rows):
    return transfer.parse_rows([header, *[list(r) for r in rows]], today=TODAY)


def test_an_old_file_derives_the_kind_and_leaves_retained_items_without():
    parsed, errors = parse(
        OLD_HEADER,
        ("甲证明", "取消", "部门间核查：由公安局核查", ""),
        ("乙证明", "取消", "申请人书面承诺、数据共享", ""),
        ("丙证明", "保留", "", "《某法》第一条"),
    )
    assert errors == []
    assert [p.cert.replacement_kind for p in parsed] == ["verification", "", ""]


@pytest.mark.parametrize(
    ("written", "kind"),
    [(label, code) for code, label in REPLACEMENT_KINDS.items()]
    + [(code, code) for code in REPLACEMENT_KINDS]
    + [("Commitment", "commitment")],
)
def test_the_column_takes_the_label_or_the_code(written, kind):
    # The written kind wins over what the text would say.
    parsed, errors = parse(NEW_HEADER, ("甲证明", "取消", "数据共享", "", written))
    assert errors == [] and parsed[0].cert.replacement_kind == kind


@pytest.mark.parametrize(
    ("row", "said"),
    [
        (("甲证明", "取消", "数据共享", "", "数据共享"), "办理方式类型“数据共享”无法识别"),
        (("甲证明", "取消", "数据共享", "", "sharing"), "办理方式类型“sharing”无法识别"),
        (("丙证明", "保留", "", "《某法》第一条", "直接取消"), "保留的证明事项没有办理方式类型"),
    ],
)
def test_a_bad_kind_is_a_row_error(row, said):
    parsed, errors = parse(NEW_HEADER, row)
    assert parsed == [] and len(errors) == 1
    assert errors[0].row == 2 and said in errors[0].message


async def test_an_import_reports_what_it_could_not_derive_and_still_applies(conn):
    table = [
        OLD_HEADER,
        ["新甲证明", "取消", "部门间核查", ""],
        ["新乙证明", "取消", "直接取消、数据共享：…", ""],
        ["新丙证明", "取消", "不再需要", ""],
    ]
    report = await transfer.import_table(conn, table, apply=True, actor="test", reason="测试")
    assert report.applied and report.errors == []
    assert [(w.row, "几种" in w.message) for w in report.warnings] == [(3, True), (4, False)]
    assert report.counts()["warnings"] == [
        {"row": 3, "message": report.warnings[0].message},
        {"row": 4, "message": report.warnings[1].message},
    ]
    items = {c.name: c for c in await q.list_latest(conn)}
    assert items["新甲证明"].replacement_kind == "verification"
    assert items["新乙证明"].replacement_kind == ""
    assert items["新丙证明"].replacement_kind == ""


async def test_an_old_file_keeps_a_kind_set_by_hand_until_its_text_changes(conn):
    cert = await q.get_latest(conn, "CY-ZM-100")
    assert cert is not None and cert.status == Status.ABOLISHED and cert.replacement_kind
    kind = "other" if cert.replacement_kind != "other" else "cancelled"
    table = [["编号", *NEW_HEADER], ["CY-ZM-100", cert.name, "取消", cert.replacement, "", kind]]
    await transfer.import_table(conn, table, apply=True, actor="test", reason="测试")
    old = [["编号", *OLD_HEADER], ["CY-ZM-100", cert.name, "取消", cert.replacement, ""]]
    again = await transfer.import_table(conn, old, apply=False, actor="test")
    assert again.unchanged == ["CY-ZM-100"] and again.warnings == []
    old[1][3] = "部门间核查：改为由公安局核查"
    changed = await transfer.import_table(conn, old, apply=True, actor="test", reason="测试")
    assert changed.changes["CY-ZM-100"] == ["replacement", "replacement_kind"]
    diff = {d.field: d for d in changed.diffs["CY-ZM-100"]}["replacement_kind"]
    assert (diff.old, diff.new) == (REPLACEMENT_KINDS[kind], "部门间核查")  # labels, not codes
    latest = await q.get_latest(conn, "CY-ZM-100")
    assert latest is not None and latest.replacement_kind == "verification"


async def test_the_export_writes_the_label_and_imports_back_unchanged(conn):
    items = await q.list_latest(conn)
    cells = {c.code: transfer.to_cells(c) for c in items}
    at = transfer.HEADERS.index("办理方式类型")
    assert {cells[c.code][at] for c in items if c.status == Status.ABOLISHED} <= set(
        REPLACEMENT_KINDS.values()
    )
    assert all(c.replacement_kind for c in items if c.status == Status.ABOLISHED)
    assert not [c.code for c in items if c.status == Status.RETAINED and c.replacement_kind]


async def test_the_migration_derives_what_the_importer_derives(conn):
    """0019 filled the kind of rows already in a database by the importer's rule."""
    from registry.infra.settings import PROJECT_ROOT

    sql = (PROJECT_ROOT / "sql" / "migrations" / "0019_replacement_kind.sql").read_text()
    backfill = sql[sql.index("UPDATE certificate_versions") :]
    await conn.execute("UPDATE certificate_versions SET replacement_kind = ''")
    await conn.execute(backfill)
    rows = await conn.fetch(
        "SELECT status, replacement, replacement_kind FROM certificate_versions"
    )
    derived = [r["replacement_kind"] for r in rows]
    expected = [
        replacement_kind_of(r["replacement"]) if r["status"] == "abolished" else "" for r in rows
    ]
    assert derived == expected
    assert 0 < sum(map(bool, derived)) < sum(r["status"] == "abolished" for r in rows)
