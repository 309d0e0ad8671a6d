#!/usr/bin/env python3
"""Check seed_data/*.csv against the seed rules.  Stdlib only.

python3 scripts/check_seed.py      # exit status 1 on any failure
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from pathlib import Path

from build_seed import HEADER, METHODS  # the script beside this one

SEED = Path(__file__).resolve().parent.parent / "seed_data"

DEPT_HEADER = ["编码", "名称", "类型"]
LEVELS = {"法律", "行政法规", "国务院决定", "地方性法规", "规章", "规范性文件", "无"}
RETAINED_LEVELS = {"法律", "行政法规", "国务院决定", "地方性法规"}
DOMAINS = {
    "就业创业",
    "社会救助",
    "户籍管理",
    "社会保险",
    "医疗卫生",
    "教育",
    "住房",
    "市场监管",
    "婚姻登记",
    "殡葬",
    "农业农村",
    "不动产登记",
    "交通运输",
    "退役军人事务",
    "公安治安",
    "收养登记",
    "司法行政",
    "出入境",
    "应急管理",
    "其他",
}
MULTI = ["别名", "索要单位", "办理事项"]

errors: list[str] = []
passed: list[str] = []


def check(cond: bool, label: str, detail: str = "") -> None:
    (passed if cond else errors).append(label + ("" if cond or not detail else f": {detail}"))


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    raw = path.read_bytes()
    check(raw.startswith(b"\xef\xbb\xbf"), f"{path.name} starts with UTF-8 BOM")
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        body = list(reader)
    widths = {len(r) for r in body}
    check(widths == {len(header)}, f"{path.name} every row has {len(header)} fields", str(widths))
    return header, [dict(zip(header, r, strict=True)) for r in body]


def split(cell: str) -> list[str]:
    return [v.strip() for v in re.split(r"[；;]", cell) if v.strip()]


# departments -----------------------------------------------------------------
dh, depts = read(SEED / "departments.csv")
check(dh == DEPT_HEADER, "departments.csv header exact", str(dh))
dnames = [d["名称"] for d in depts]
dcodes = [d["编码"] for d in depts]
check(len(set(dnames)) == len(dnames), "department names unique")
check(len(set(dcodes)) == len(dcodes), "department codes unique")
kinds = Counter(d["类型"] for d in depts)
check(set(kinds) <= {"county", "town", "street"}, "department kinds valid", str(kinds))
check(kinds["town"] + kinds["street"] == 18, "exactly 18 towns/streets", str(kinds))
check(20 <= kinds["county"] <= 25, "20-25 county departments", str(kinds["county"]))
check(
    all(re.fullmatch(r"CY-BM-\d{3}", d["编码"]) for d in depts if d["类型"] == "county"),
    "county codes CY-BM-NNN",
)
check(
    all(re.fullmatch(r"CY-XZ-\d{2}", d["编码"]) for d in depts if d["类型"] != "county"),
    "town/street codes CY-XZ-NN",
)
check(not any("委员会" in n and "村" in n for n in dnames), "no 村（居）民委员会 row")
dset = set(dnames)

# certificates ----------------------------------------------------------------
ch, rows = read(SEED / "certificates.csv")
check(ch == HEADER, "certificates.csv header exact", str(ch))
check(len(rows) == 173, "173 data rows", str(len(rows)))
status = Counter(r["状态"] for r in rows)
check(status == Counter({"取消": 164, "保留": 9}), "164 取消 / 9 保留", str(dict(status)))
codes = [r["编号"] for r in rows]
check(len(set(codes)) == len(codes), "codes unique")
check(all(re.fullmatch(r"CY-ZM-\d{3}", c) for c in codes), "codes match CY-ZM-NNN")
check(sorted(codes) == [f"CY-ZM-{i:03d}" for i in range(1, 174)], "codes are CY-ZM-001..173")
names = [r["证明名称"] for r in rows]
dup = [n for n, k in Counter(names).items() if k > 1]
check(not dup, "names unique", str(dup))
nameset = set(names)
aliases = [(a, r["证明名称"]) for r in rows for a in split(r["别名"])]
adup = [a for a, k in Counter(a for a, _ in aliases).items() if k > 1]
check(not adup, "aliases unique across items", str(adup))
aname = [a for a, _ in aliases if a in nameset]
check(not aname, "no alias equals an item name", str(aname))
amap = dict(aliases)
for need, where in [
    ("良民证", "无犯罪记录"),
    ("无犯罪证明", "无犯罪记录"),
    ("户口证明", "户籍证明"),
    ("生存证明", "健在证明"),
    ("活着证明", "健在证明"),
    ("单身证明", "婚姻"),
    ("无房证明", "房"),
    ("收入证明", "收入"),
    ("贫困证明", "贫困"),
]:
    check(
        need in amap and where in amap[need],
        f"alias {need} on a {where} item",
        amap.get(need, "missing"),
    )

for r in rows:
    c = r["编号"]
    for f in [
        "证明名称",
        "状态",
        "开具单位",
        "索要单位",
        "办理事项",
        "设定依据",
        "依据层级",
        "所属领域",
        "决定文号",
        "生效日期",
        "备注",
    ]:
        if not r[f].strip():
            errors.append(f"{c} empty {f}")
    if r["状态"] not in {"保留", "取消"}:
        errors.append(f"{c} bad 状态 {r['状态']!r}")
    if r["依据层级"] not in LEVELS:
        errors.append(f"{c} bad 依据层级 {r['依据层级']!r}")
    if r["所属领域"] not in DOMAINS:
        errors.append(f"{c} bad 所属领域 {r['所属领域']!r}")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["生效日期"]):
        errors.append(f"{c} bad 生效日期")
    if not r["备注"].startswith("来源："):
        errors.append(f"{c} 备注 not 来源：")
    if not any(v in dset for v in split(r["索要单位"])):
        errors.append(f"{c} 索要单位 names no department: {r['索要单位']}")
    for f in MULTI:
        vals = split(r[f])
        if any(v != v.strip() or not v for v in vals) or r[f] != "；".join(vals):
            errors.append(f"{c} {f} not clean ；-separated: {r[f]!r}")
    for f in ["开具单位", "取消后办理方式", "保留原因", "备注"]:
        if re.search(r"[；;]", r[f]):
            errors.append(f"{c} {f} contains a separator ；/; in single-valued text")
    if r["状态"] == "取消":
        head = r["取消后办理方式"].split("：", 1)[0]
        parts = head.split("、")
        if not r["取消后办理方式"] or not all(p in METHODS for p in parts):
            errors.append(
                f"{c} 取消后办理方式 does not start with known methods: {r['取消后办理方式']!r}"
            )
        if r["保留原因"]:
            errors.append(f"{c} abolished with 保留原因")
    else:
        if r["依据层级"] not in RETAINED_LEVELS:
            errors.append(f"{c} retained with level {r['依据层级']}")
        if r["取消后办理方式"]:
            errors.append(f"{c} retained with 取消后办理方式")
        if not r["保留原因"]:
            errors.append(f"{c} retained without 保留原因")
        if not re.search(r"《.+》第.+条", r["设定依据"]):
            errors.append(f"{c} retained basis lacks statute + article")
passed.append("per-row field rules checked for all rows")

for p in passed:
    print("ok   ", p)
for e in errors:
    print("FAIL ", e)
print(
    f"\n{len(passed)} checks passed, {len(errors)} failures; "
    f"{len(rows)} certificates ({status['取消']} 取消 / {status['保留']} 保留), "
    f"{len(depts)} departments, {len(aliases)} aliases"
)
sys.exit(1 if errors else 0)
