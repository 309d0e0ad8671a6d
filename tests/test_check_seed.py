"""scripts/check_seed.py: each fault in a small list fails with the row and the fault named;
the shipped seed_data/ passes; the build script reproduces it."""

from __future__ import annotations

import csv
import datetime as dt
import filecmp
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from registry.infra.settings import PROJECT_ROOT

SCRIPTS = PROJECT_ROOT / "scripts"
CHECKER = SCRIPTS / "check_seed.py"
BUILDER = SCRIPTS / "build_seed.py"
REFERENCE = PROJECT_ROOT.parent / "shared" / "reference" / "certificate-facts.csv"

_spec = importlib.util.spec_from_file_location("check_seed", CHECKER)
assert _spec and _spec.loader
check_seed = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("check_seed", check_seed)  # dataclasses look their module up
_spec.loader.exec_module(check_seed)

HEADER = check_seed.HEADER
COMMON = {
    "决定文号": "长垣县证明事项清理结果（2018）",
    "生效日期": "2018-12-28",
}
# A small list that passes every row rule: one retained item, two abolished ones.
BASE = [
    {
        "编号": "CY-ZM-001",
        "证明名称": "居民死亡医学证明（推断）书",
        "别名": "死亡医学证明书",
        "状态": "保留",
        "开具单位": "医疗卫生机构",
        "索要单位": "县公安局；县民政局；殡仪馆",
        "办理事项": "死亡注销户口；遗体火化",
        "设定依据": "《中华人民共和国户口登记条例》第八条；国卫规划发〔2013〕57号",
        "依据层级": "法律",
        "所属领域": "殡葬",
        "取消后办理方式": "",
        "保留原因": "死亡及死亡原因须由医疗卫生机构专业认定",
        "备注": "依国办发〔2018〕47号清理后保留。",
    },
    {
        "编号": "CY-ZM-002",
        "证明名称": "健在证明",
        "别名": "生存证明",
        "状态": "取消",
        "开具单位": "村（居）民委员会",
        "索要单位": "县人力资源和社会保障局",
        "办理事项": "领取养老金等待遇资格认证",
        "设定依据": "无法律、行政法规或国务院决定依据（由村（居）民委员会出具，办事部门自行要求）",
        "依据层级": "无",
        "所属领域": "社会保险",
        "取消后办理方式": "数据共享：人脸识别等远程认证",
        "办理方式类型": "数据共享核验",
        "保留原因": "",
        "备注": "依国办发〔2018〕47号清理取消：办事部门不得再要求提供。",
    },
    {
        "编号": "CY-ZM-003",
        "证明名称": "死亡医学证明（骨灰寄存、安葬）",
        "别名": "",
        "状态": "取消",
        "开具单位": "医疗卫生机构",
        "索要单位": "县民政局；殡仪馆",
        "办理事项": "骨灰寄存；骨灰安葬",
        "设定依据": "无法律、行政法规或国务院决定依据（县级部门自设）",
        "依据层级": "无",
        "所属领域": "殡葬",
        "取消后办理方式": "现有证照核验：凭火化证明办理",
        "办理方式类型": "证照核验",
        "保留原因": "",
        "备注": "依国办发〔2018〕47号清理取消：骨灰寄存、安葬凭火化证明办理。",
    },
]


def write_list(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\r\n")
        w.writeheader()
        w.writerows({**COMMON, **r} for r in rows)
    return path


def run_checker(*args: Path) -> subprocess.CompletedProcess[str]:
    """As CI would, with the standard library only (-S: no site-packages)."""
    return subprocess.run(
        [sys.executable, "-S", "-E", str(CHECKER), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def failures(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("FAIL")]


def with_change(index: int, **cells: str) -> list[dict[str, str]]:
    rows = [dict(r) for r in BASE]
    rows[index].update(cells)
    return rows


def test_the_small_list_passes(tmp_path):
    result = run_checker(write_list(tmp_path / "list.csv", BASE))
    assert result.returncode == 0, result.stdout
    assert not failures(result)


# ---- fault 1: a web address (or an internal word, or provenance) in a public field -----------


@pytest.mark.parametrize(
    ("column", "value", "tag"),
    [
        ("备注", "来源：https://soolun.net/periodical/1.html", "url"),
        ("备注", "详见 http://mzj.cnbz.gov.cn/zdxx/flfg/15366031.html", "url"),
        ("设定依据", "见 www.gov.cn 公布的清单", "url"),
        ("开具单位", "医疗卫生机构（ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ）", "url"),
        ("取消后办理方式", "数据共享：登录 zwfw.henan.gov.cn 查询", "url"),
        ("备注", "种子数据（代表性重建）", "internal"),
        ("证明名称", "健在证明 seed", "internal"),
        ("备注", "来源：typical", "provenance"),
        ("备注", "LawRefBook/Laws:行政法规/失业保险条例.md", "provenance"),
    ],
)
def test_an_address_or_internal_text_in_a_public_field_fails(tmp_path, column, value, tag):
    result = run_checker(write_list(tmp_path / "list.csv", with_change(1, **{column: value})))
    assert result.returncode == 1
    assert any(f"CY-ZM-002 (line 3) [{tag}] {column}" in line for line in failures(result)), (
        result.stdout
    )


# ---- fault 2: a cited document dated after the item's 生效日期 ------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (
            "设定依据",
            "无法律法规依据，列入民发〔2020〕20号《不应由基层群众性自治组织出具证明事项清单》",
        ),
        ("设定依据", "列入《浙江省涉村（社区）事项清单（2023版）》"),
        ("决定文号", "长证清〔2019〕1号"),
        ("决定文号", "长垣县证明事项清理结果（2019）"),
        ("备注", "依国办发[2020]42号实行告知承诺"),
        ("备注", "2020年起由公安机关出具"),
        ("备注", "见 2018年12月29日 的通知"),
        ("保留原因", "依据 2019-03-02 修订的条文"),
        ("取消后办理方式", "数据共享：按２０２１年的通知办理"),
    ],
)
def test_a_document_dated_after_the_effective_date_fails(tmp_path, column, value):
    result = run_checker(write_list(tmp_path / "list.csv", with_change(1, **{column: value})))
    assert result.returncode == 1
    assert any(f"CY-ZM-002 (line 3) [date] {column}" in line for line in failures(result)), (
        result.stdout
    )


@pytest.mark.parametrize(
    "value",
    [
        "依国办发〔2018〕47号清理取消。",  # the same year: accepted
        "见 2018年12月28日 的决定",  # the same day
        "国办发〔2015〕96号；《婚姻登记条例》（2003）",
        "编号 12020 不是年份，第2020号也不是",
    ],
)
def test_a_document_dated_up_to_the_effective_date_passes(tmp_path, value):
    rows = with_change(1, 备注=value.replace("；", "，"))
    result = run_checker(write_list(tmp_path / "list.csv", rows))
    assert result.returncode == 0, result.stdout


def test_the_date_rule_reads_years_and_full_dates():
    found = check_seed.cited_dates("民发〔2020〕20号，（2023版），2019年，2018-12-30，２０１７年")
    assert found == [
        ("2018-12-30", dt.date(2018, 12, 30)),
        ("〔2020〕", 2020),
        ("(2023版)", 2023),
        ("2019年", 2019),
        ("2017年", 2017),
    ]


# ---- the replacement's kind (issue 15) -------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "kind", "said"),
    [
        (1, "", "CY-ZM-002 (line 3) [field] abolished without a known 办理方式类型: ''"),
        (2, "数据共享", "CY-ZM-003 (line 4) [field] abolished without a known 办理方式类型"),
        (0, "证照核验", "CY-ZM-001 (line 2) [field] retained with 办理方式类型"),
    ],
)
def test_a_missing_or_misplaced_kind_fails(tmp_path, index, kind, said):
    result = run_checker(write_list(tmp_path / "list.csv", with_change(index, 办理方式类型=kind)))
    assert result.returncode == 1
    assert any(said in line for line in failures(result)), result.stdout


def test_every_abolished_seed_item_has_the_kind_its_text_names_first():
    with (PROJECT_ROOT / "seed_data" / "certificates.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    abolished = [r for r in rows if r["状态"] == "取消"]
    assert len(abolished) == 164
    for r in abolished:
        first = r["取消后办理方式"].split("：", 1)[0].split("、")[0]
        assert r["办理方式类型"] == check_seed.METHOD_KIND[first], r["编号"]
    assert not [r["编号"] for r in rows if r["状态"] == "保留" and r["办理方式类型"]]


# ---- fault 3: one certificate, overlapping matters, opposite statuses ------------------------


def test_the_same_certificate_retained_and_abolished_for_the_same_matter_fails(tmp_path):
    rows = with_change(2, 证明名称="死亡医学证明（殡仪馆火化环节）", 办理事项="办理火化；殡葬手续")
    result = run_checker(write_list(tmp_path / "list.csv", rows))
    assert result.returncode == 1
    (line,) = [f for f in failures(result) if "[contradiction]" in f]
    assert "CY-ZM-001 (line 2) [contradiction]" in line and "CY-ZM-003 (line 4)" in line
    assert "遗体火化 / 办理火化" in line


def test_an_alias_of_one_item_that_is_the_other_item_counts(tmp_path):
    rows = with_change(2, 证明名称="遗体火化用死亡证明", 别名="医学死亡证明书", 办理事项="火化")
    rows[0]["别名"] = "死亡医学证明书；医学死亡证明"
    result = run_checker(write_list(tmp_path / "list.csv", rows))
    assert result.returncode == 1
    assert any("CY-ZM-001 (line 2) [contradiction]" in f for f in failures(result)), result.stdout


@pytest.mark.parametrize(
    "change",
    [
        {"证明名称": "死亡医学证明（殡仪馆火化环节）", "状态": "保留"},  # same status
        {"证明名称": "死亡医学证明（骨灰寄存）", "办理事项": "骨灰寄存"},  # other matter
        {"证明名称": "火化证明（骨灰安葬）", "办理事项": "遗体火化"},  # other certificate
    ],
)
def test_no_contradiction_without_all_three(tmp_path, change):
    rows = with_change(2, **change)
    if change.get("状态") == "保留":
        rows[2].update(
            取消后办理方式="",
            办理方式类型="",
            保留原因="专业认定",
            依据层级="法律",
            设定依据="《中华人民共和国户口登记条例》第八条",
        )
    result = run_checker(write_list(tmp_path / "list.csv", rows))
    assert not [f for f in failures(result) if "[contradiction]" in f], result.stdout
    assert result.returncode == 0, result.stdout


# ---- the shipped seed -----------------------------------------------------------------------


def test_seed_data_passes_every_check():
    result = run_checker()
    assert result.returncode == 0, result.stdout
    assert "0 failures; 173 certificates (164 取消 / 9 保留)" in result.stdout
    assert "ok    no certificate both retained and abolished for the same matter" in result.stdout


def test_seed_data_directory_given_explicitly_passes():
    assert run_checker(PROJECT_ROOT / "seed_data").returncode == 0


def test_a_whole_directory_also_checks_the_totals(tmp_path):
    write_list(tmp_path / "certificates.csv", BASE)
    (tmp_path / "departments.csv").write_bytes(
        (PROJECT_ROOT / "seed_data" / "departments.csv").read_bytes()
    )
    result = run_checker(tmp_path)
    assert result.returncode == 1
    assert any("173 data rows" in f for f in failures(result))


@pytest.mark.skipif(not REFERENCE.exists(), reason="research notes are outside the repository")
def test_the_build_script_is_the_single_source(tmp_path):
    subprocess.run(
        [sys.executable, "-S", "-E", str(BUILDER), str(REFERENCE), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    for name in ("certificates.csv", "departments.csv", "SOURCES.md"):
        assert filecmp.cmp(tmp_path / name, PROJECT_ROOT / "seed_data" / name, shallow=False), (
            f"seed_data/{name} differs from what scripts/build_seed.py writes"
        )
