#!/usr/bin/env python3
"""Check the certificate list in seed_data/ (or any list file) against the seed rules.  Stdlib only.

    python3 scripts/check_seed.py            # seed_data/: departments, totals, every rule
    python3 scripts/check_seed.py DIR        # a directory laid out like seed_data/
    python3 scripts/check_seed.py FILE.csv   # one list file: the row and cross-row rules only
                                             # (no totals; departments from a departments.csv
                                             # beside it, else from seed_data/)

Exit status 1 on any failure.  Every failure line names the row (编号 and the CSV line, the
header being line 1) and the fault in brackets.  The three faults that undermine a public list:

[url] / [internal] / [provenance] -- every column of the import format is public (the site, the
    API and the downloads show them all).  No field may hold a web address: a scheme
    (``http://``, ``https://``, any ``xxx://``, ``mailto:``), ``www.``, or a bare host name
    ending in a common top-level domain (``example.com``, ``foo.gov.cn``), checked after NFKC so
    full-width letters count.  No field may hold the internal words "seed" (any case) or "种子".
    No field may carry research provenance ("来源：", "LawRefBook", "typical"): sources live in
    seed_data/SOURCES.md.

[date] -- no document cited in 设定依据, 决定文号, 备注, 取消后办理方式 or 保留原因 may be dated
    after the item's 生效日期.  Parsing rule, applied after NFKC (so full-width digits count):
      * a full date -- ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYY.MM.DD`` or ``YYYY年M月D日`` -- is
        compared with 生效日期 as a date;
      * otherwise a year, 1900-2099, written as a document year: in brackets (``〔2020〕``,
        ``［2020］``, ``[2020]``, ``【2020】``, ``（2020）``, ``(2020)``, also ``（2023版）``), or
        followed by 年 or 版 (``2020年``, ``2023版``), is compared with 生效日期's year: a later
        year is a fault, the same year is accepted (the month is not known).
      Digits that run on (``12020``) are not years.

[contradiction] -- no two items may be the same certificate, for overlapping matters, with
    different 状态.  The same certificate: the sets of normalised labels (证明名称 and each 别名)
    of the two items share a label.  A label is normalised by NFKC, removing every bracketed
    qualifier (``（…）``, ``(…)``, ``［…］``, ``[…]``, ``【…】``, nested too), removing whitespace
    and punctuation (everything but letters and digits), then a trailing 书 (证明书 = 证明).  So
    ``居民死亡医学证明（推断）书`` with the alias ``死亡医学证明书`` and ``死亡医学证明（殡仪馆火化
    环节）`` are the same certificate.  Overlapping matters: some 办理事项 of one and some of the
    other overlap, where each 办理事项 gives the forms: the text without brackets, and each
    bracketed part on its own (``新生儿出生登记（落户）`` -> 新生儿出生登记, 落户), each with
    punctuation and the filler words 办理/申请/申领/领取/发放/手续/相关/事项/等 removed; two forms
    of two or more characters overlap when one contains the other (遗体火化 and 办理火化 -> 火化).

The other rules (header, totals 173/164/9, unique codes, names and aliases, required fields,
department names, replacement methods, a 办理方式类型 for every abolished item and none for a
retained one, levels and domains) keep the list loadable and its
columns meaningful.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_seed import HEADER, METHOD_KIND, METHODS  # the script beside this one

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
KINDS = set(METHOD_KIND.values()) | {"其他"}  # the six 办理方式类型 labels
MULTI = ["别名", "索要单位", "办理事项"]
REQUIRED = [
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
]
DATED_FIELDS = ["设定依据", "决定文号", "备注", "取消后办理方式", "保留原因"]

# ---- rule 1: web addresses, internal words, provenance ---------------------------------------
URL = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*://"
    r"|mailto:"
    r"|(?<![A-Za-z0-9])www\."
    r"|(?<![A-Za-z0-9\-.])[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*"
    r"\.(?:com|cn|net|org|gov|edu|info|io|me|cc|top|xyz|site|online|html?)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
INTERNAL = re.compile(r"seed|种子", re.IGNORECASE)
PROVENANCE = re.compile(r"来源[：:]|LawRefBook|typical", re.IGNORECASE)

# ---- rule 2: dates of cited documents --------------------------------------------------------
_Y = r"(?<!\d)((?:19|20)\d\d)"
FULL_DATE = re.compile(
    _Y + r"(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日)(?!\d)",
)
YEAR = re.compile(
    r"[〔［\[【（(]\s*" + _Y + r"\s*(?:年版|年|版)?\s*[〕］\]】）)]"
    r"|" + _Y + r"(?!\d)\s*(?:年|版)"
)

# ---- rule 3: contradictions ------------------------------------------------------------------
OPEN, CLOSE = "（([［【", "）)]］】"
FILLERS = ["办理", "申请", "申领", "领取", "发放", "手续", "相关", "事项", "等"]


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def split(cell: str) -> list[str]:
    return [v.strip() for v in re.split(r"[；;]", cell) if v.strip()]


def unbracket(text: str) -> tuple[str, list[str]]:
    """The text outside any brackets, and the text of each outermost bracketed part."""
    outside: list[str] = []
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch in OPEN:
            depth += 1
            if depth == 1:
                current = []
                continue
        elif ch in CLOSE and depth:
            depth -= 1
            if depth == 0:
                parts.append("".join(current))
                continue
        (current if depth else outside).append(ch)
    return "".join(outside), parts


def letters(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def certificate_key(label: str) -> str:
    """A name or alias reduced to the certificate it names (see the module docstring)."""
    key = letters(unbracket(nfkc(label))[0])
    return key[:-1] if key.endswith("证明书") else key


def matter_forms(matter: str) -> set[str]:
    outside, parts = unbracket(nfkc(matter))
    forms = set()
    for text in [outside, *parts]:
        text = letters(text)
        for word in FILLERS:
            text = text.replace(word, "")
        if len(text) >= 2:
            forms.add(text)
    return forms


def matters_overlap(a: Iterable[str], b: Iterable[str]) -> tuple[str, str] | None:
    """The first pair of overlapping 办理事项 (one's form contains the other's), if any."""
    for ma in a:
        for mb in b:
            for fa in matter_forms(ma):
                for fb in matter_forms(mb):
                    if fa in fb or fb in fa:
                        return ma, mb
    return None


def cited_dates(text: str) -> list[tuple[str, dt.date | int]]:
    """(as written, date or year) for every document date in the text (module docstring)."""
    text = nfkc(text)
    found: list[tuple[str, dt.date | int]] = []
    spans: list[tuple[int, int]] = []
    for m in FULL_DATE.finditer(text):
        y, mo, d = m.group(1), m.group(2) or m.group(4), m.group(3) or m.group(5)
        try:
            found.append((m.group(0), dt.date(int(y), int(mo), int(d))))
        except ValueError:
            found.append((m.group(0), int(y)))
        spans.append(m.span())
    for m in YEAR.finditer(text):
        if any(a <= m.start() < b for a, b in spans):
            continue
        found.append((m.group(0), int(m.group(1) or m.group(2))))
    return found


# ---- the report ------------------------------------------------------------------------------


@dataclass
class Row:
    line: int
    cells: dict[str, str]

    @property
    def where(self) -> str:
        return f"{self.cells.get('编号') or '(no 编号)'} (line {self.line})"


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)

    def check(self, cond: bool, label: str, detail: str = "") -> None:
        if cond:
            self.passed.append(label)
        else:
            self.errors.append(label + (f": {detail}" if detail else ""))

    def fault(self, row: Row, tag: str, message: str) -> None:
        self.errors.append(f"{row.where} [{tag}] {message}")


def read(report: Report, path: Path) -> tuple[list[str], list[Row]]:
    raw = path.read_bytes()
    report.check(raw.startswith(b"\xef\xbb\xbf"), f"{path.name} starts with UTF-8 BOM")
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        body = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    widths = {len(r) for _, r in body}
    report.check(
        widths <= {len(header)}, f"{path.name} every row has {len(header)} fields", str(widths)
    )
    rows = [Row(n, dict(zip(header, r, strict=False))) for n, r in body if len(r) == len(header)]
    return header, rows


# ---- departments -----------------------------------------------------------------------------


def check_departments(report: Report, path: Path) -> set[str]:
    dh, rows = read(report, path)
    depts = [r.cells for r in rows]
    report.check(dh == DEPT_HEADER, "departments.csv header exact", str(dh))
    dnames = [d["名称"] for d in depts]
    dcodes = [d["编码"] for d in depts]
    report.check(len(set(dnames)) == len(dnames), "department names unique")
    report.check(len(set(dcodes)) == len(dcodes), "department codes unique")
    kinds = Counter(d["类型"] for d in depts)
    report.check(set(kinds) <= {"county", "town", "street"}, "department kinds valid", str(kinds))
    report.check(kinds["town"] + kinds["street"] == 18, "exactly 18 towns/streets", str(kinds))
    report.check(20 <= kinds["county"] <= 25, "20-25 county departments", str(kinds["county"]))
    report.check(
        all(re.fullmatch(r"CY-BM-\d{3}", d["编码"]) for d in depts if d["类型"] == "county"),
        "county codes CY-BM-NNN",
    )
    report.check(
        all(re.fullmatch(r"CY-XZ-\d{2}", d["编码"]) for d in depts if d["类型"] != "county"),
        "town/street codes CY-XZ-NN",
    )
    report.check(not any("委员会" in n and "村" in n for n in dnames), "no 村（居）民委员会 row")
    return set(dnames)


def department_names(path: Path) -> set[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {r["名称"] for r in csv.DictReader(f)}


# ---- the list as a whole ---------------------------------------------------------------------


def check_totals(report: Report, rows: Sequence[Row]) -> None:
    report.check(len(rows) == 173, "173 data rows", str(len(rows)))
    status = Counter(r.cells["状态"] for r in rows)
    report.check(
        status == Counter({"取消": 164, "保留": 9}), "164 取消 / 9 保留", str(dict(status))
    )
    codes = sorted(r.cells["编号"] for r in rows)
    report.check(codes == [f"CY-ZM-{i:03d}" for i in range(1, 174)], "codes are CY-ZM-001..173")
    amap = {a: r.cells["证明名称"] for r in rows for a in split(r.cells["别名"])}
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
        report.check(
            need in amap and where in amap[need],
            f"alias {need} on a {where} item",
            amap.get(need, "missing"),
        )


def check_unique(report: Report, rows: Sequence[Row]) -> None:
    codes = [r.cells["编号"] for r in rows]
    dup = [c for c, k in Counter(codes).items() if k > 1]
    report.check(not dup, "codes unique", str(dup))
    report.check(all(re.fullmatch(r"CY-ZM-\d{3}", c) for c in codes), "codes match CY-ZM-NNN")
    names = [r.cells["证明名称"] for r in rows]
    dup = [n for n, k in Counter(names).items() if k > 1]
    report.check(not dup, "names unique", str(dup))
    aliases = [a for r in rows for a in split(r.cells["别名"])]
    adup = [a for a, k in Counter(aliases).items() if k > 1]
    report.check(not adup, "aliases unique across items", str(adup))
    aname = sorted(set(aliases) & set(names))
    report.check(not aname, "no alias equals an item name", str(aname))


def check_contradictions(report: Report, rows: Sequence[Row]) -> None:
    """Fault 3: the same certificate for overlapping matters, retained in one item and
    abolished in another."""
    labels = {
        id(r): {certificate_key(x) for x in [r.cells["证明名称"], *split(r.cells["别名"])]} - {""}
        for r in rows
    }
    before = len(report.errors)
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            if a.cells["状态"] == b.cells["状态"]:
                continue
            same = sorted(labels[id(a)] & labels[id(b)])
            if not same:
                continue
            pair = matters_overlap(split(a.cells["办理事项"]), split(b.cells["办理事项"]))
            if pair is None:
                continue
            report.fault(
                a,
                "contradiction",
                f"{a.cells['证明名称']} ({a.cells['状态']}) and {b.where} "
                f"{b.cells['证明名称']} ({b.cells['状态']}) are the same certificate "
                f"({'、'.join(same)}) for overlapping matters ({pair[0]} / {pair[1]})",
            )
    if len(report.errors) == before:
        report.passed.append("no certificate both retained and abolished for the same matter")


# ---- each row --------------------------------------------------------------------------------


def check_public_text(report: Report, row: Row) -> None:
    """Fault 1: web addresses, internal words and research provenance in public fields."""
    for col, value in row.cells.items():
        text = nfkc(value)
        if m := URL.search(text):
            report.fault(row, "url", f"{col} holds a web address {m.group(0)!r}")
        if m := INTERNAL.search(text):
            report.fault(row, "internal", f"{col} holds the internal word {m.group(0)!r}")
        if m := PROVENANCE.search(text):
            report.fault(row, "provenance", f"{col} carries research provenance {m.group(0)!r}")


def check_dates(report: Report, row: Row) -> None:
    """Fault 2: a cited document dated after the item's 生效日期."""
    raw = row.cells.get("生效日期", "")
    try:
        effective = dt.date.fromisoformat(raw)
    except ValueError:
        return  # reported by the field rules
    for col in DATED_FIELDS:
        for written, when in cited_dates(row.cells.get(col, "")):
            later = when > effective if isinstance(when, dt.date) else when > effective.year
            if later:
                report.fault(
                    row,
                    "date",
                    f"{col} cites a document dated {written!r}, after 生效日期 {raw}",
                )


def check_fields(report: Report, row: Row, departments: set[str]) -> None:
    r = row.cells
    for f in REQUIRED:
        if not r.get(f, "").strip():
            report.fault(row, "field", f"empty {f}")
    if r["状态"] not in {"保留", "取消"}:
        report.fault(row, "field", f"bad 状态 {r['状态']!r}")
    if r["依据层级"] not in LEVELS:
        report.fault(row, "field", f"bad 依据层级 {r['依据层级']!r}")
    if r["所属领域"] not in DOMAINS:
        report.fault(row, "field", f"bad 所属领域 {r['所属领域']!r}")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["生效日期"]):
        report.fault(row, "field", "bad 生效日期")
    if not any(v in departments for v in split(r["索要单位"])):
        report.fault(row, "field", f"索要单位 names no department: {r['索要单位']}")
    for f in MULTI:
        vals = split(r[f])
        if r[f] != "；".join(vals):
            report.fault(row, "field", f"{f} not clean ；-separated: {r[f]!r}")
    for f in ["开具单位", "取消后办理方式", "保留原因", "备注"]:
        if re.search(r"[；;]", r[f]):
            report.fault(row, "field", f"{f} contains a separator ；/; in single-valued text")
    if r["状态"] == "取消":
        head = r["取消后办理方式"].split("：", 1)[0]
        if not r["取消后办理方式"] or not all(p in METHODS for p in head.split("、")):
            report.fault(
                row,
                "field",
                f"取消后办理方式 does not start with known methods: {r['取消后办理方式']!r}",
            )
        if r["办理方式类型"] not in KINDS:
            report.fault(
                row, "field", f"abolished without a known 办理方式类型: {r['办理方式类型']!r}"
            )
        if r["保留原因"]:
            report.fault(row, "field", "abolished with 保留原因")
    elif r["状态"] == "保留":
        if r["依据层级"] not in RETAINED_LEVELS:
            report.fault(row, "field", f"retained with level {r['依据层级']}")
        if r["取消后办理方式"]:
            report.fault(row, "field", "retained with 取消后办理方式")
        if r["办理方式类型"]:
            report.fault(row, "field", "retained with 办理方式类型")
        if not r["保留原因"]:
            report.fault(row, "field", "retained without 保留原因")
        if not re.search(r"《.+》第.+条", r["设定依据"]):
            report.fault(row, "field", "retained basis lacks statute + article")


def check_list(report: Report, path: Path, departments: set[str], *, whole: bool) -> list[Row]:
    header, rows = read(report, path)
    report.check(header == HEADER, f"{path.name} header exact", str(header))
    if header != HEADER:
        return rows
    if whole:
        check_totals(report, rows)
    check_unique(report, rows)
    before = len(report.errors)
    for row in rows:
        check_fields(report, row, departments)
        check_public_text(report, row)
        check_dates(report, row)
    if len(report.errors) == before:
        report.passed.append("per-row rules (fields, no web address, no later document)")
    check_contradictions(report, rows)
    return rows


def main(argv: Sequence[str]) -> int:
    target = Path(argv[0]) if argv else SEED
    if not target.exists():
        print(f"FAIL  {target} does not exist")
        return 1
    report = Report()
    if target.is_dir():
        departments = check_departments(report, target / "departments.csv")
        rows = check_list(report, target / "certificates.csv", departments, whole=True)
    else:
        beside = target.parent / "departments.csv"
        departments = department_names(beside if beside.exists() else SEED / "departments.csv")
        rows = check_list(report, target, departments, whole=False)
    for p in report.passed:
        print("ok   ", p)
    for e in report.errors:
        print("FAIL ", e)
    status = Counter(r.cells.get("状态") for r in rows)
    print(
        f"\n{len(report.passed)} checks passed, {len(report.errors)} failures; "
        f"{len(rows)} certificates ({status['取消']} 取消 / {status['保留']} 保留) in {target}"
    )
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
