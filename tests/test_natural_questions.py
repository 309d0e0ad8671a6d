"""Questions as people type them (not the list's wording), kept as regression cases: on the seed
list, and on another county's list the code was not written against (tests/data/other_county.csv,
built from ../shared/reference/certificate-facts.csv: 199 real demands from other lists, with
no aliases at all, so everyday names must come from the shipped thesaurus).

Each case: (name, matter, expected verdict, code of the certificate the answer must be about, or
None). "answerable" cases have a definite answer; the rest must ask back (needs_matter) or
point elsewhere. The acceptance bar of issue 12 is held here too: no answer tells the asker a
retained certificate may not be demanded for one of its own matters, no unsafe answer, and at
least 70 % of answerable questions answered directly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from registry.catalogue import transfer, vocab
from registry.checker.decide import Index, Question, decide
from registry.infra.settings import PROJECT_ROOT

TODAY = dt.date(2026, 12, 1)
VOCAB = vocab.shipped()


def index_of(path: Path) -> Index:
    rows, errors = transfer.parse_rows(transfer.read_file(path), today=TODAY)
    assert not errors
    return Index([r.cert for r in rows], TODAY, VOCAB)


SEED = index_of(PROJECT_ROOT / "seed_data" / "certificates.csv")
OTHER = index_of(Path(__file__).parent / "data" / "other_county.csv")

SEED_CASES = [
    ("出生证", "给孩子上户口", "retained", "CY-ZM-001"),
    ("孩子的出生证明", "报户口", "retained", "CY-ZM-001"),
    ("离职证明", "领失业金", "retained", "CY-ZM-004"),
    ("离职证明", "办失业登记", "retained", "CY-ZM-004"),
    ("解除劳动合同证明", "申请失业保险金", "retained", "CY-ZM-004"),
    ("单位开的离职证明", "贷款买房", "retained_other_matter", "CY-ZM-004"),
    ("离职证明", None, "needs_matter", None),
    ("死亡证明", "火化", "retained", "CY-ZM-002"),
    ("死亡医学证明", "老人去世注销户口", "retained", "CY-ZM-002"),
    ("死亡证明", "领丧葬费", "abolished", "CY-ZM-120"),
    ("经济困难证明", "请律师打官司", "retained", "CY-ZM-008"),
    ("困难证明", "法律援助", "retained", "CY-ZM-008"),
    ("经济困难证明", None, "needs_matter", None),
    ("家庭经济困难证明", "孩子申请助学金", "abolished", "CY-ZM-131"),
    ("身份证", None, "out_of_scope", None),
    ("户口本复印件", None, "out_of_scope", None),
    ("结婚证", None, "out_of_scope", None),
    ("房产证", None, "out_of_scope", None),
    ("营业执照", None, "out_of_scope", None),
    ("驾照", None, "out_of_scope", None),
    ("社保卡", None, "out_of_scope", None),
    ("上户口", None, "needs_matter", None),
    ("办低保", None, "needs_matter", None),
    ("开餐馆", None, "needs_matter", None),
    ("良名证", None, "unlisted", None),
    ("单身证名", None, "unlisted", None),
    ("良民证", "找工作", "abolished", "CY-ZM-014"),
    ("无犯罪证明", None, "abolished", "CY-ZM-014"),
    ("准生证", "生孩子上户口", "abolished", "CY-ZM-111"),
    ("居住证明", "办居住证", "retained", "CY-ZM-006"),
    ("居住证明", "孩子上学", "abolished", "CY-ZM-129"),
    ("健在证明", "领养老金", "abolished", "CY-ZM-019"),
    ("活着证明", None, "abolished", "CY-ZM-019"),
    ("户口证明", "参加医保", "abolished", "CY-ZM-085"),
    ("收入证明", "申请低保", "abolished", "CY-ZM-043"),
    ("工伤诊断证明", "工伤认定", "retained", "CY-ZM-005"),
    ("诊断证明", "认定工伤", "retained", "CY-ZM-005"),
    ("烟花爆竹零售条件证明", "卖鞭炮", "retained", "CY-ZM-009"),
    ("收养能力证明", "领养孩子", "retained", "CY-ZM-007"),
    ("出生医学证明", "办护照", "retained_other_matter", "CY-ZM-001"),
    ("生育服务证", "上户口", "abolished", "CY-ZM-111"),
    ("无房证明", "申请公租房", "abolished", None),
    ("亲属关系证明", "继承房产", "abolished", None),
    ("失业证明", "失业登记", "abolished", "CY-ZM-069"),
    ("计生证明", "办个体户执照", "abolished", "CY-ZM-148"),
]

OTHER_CASES = [
    ("出生证", "给娃上户口", "retained", "QT-173"),
    ("出生证明", "落户口", "retained", "QT-173"),
    ("死亡证明", "火化", "retained", None),
    ("离职证明", "领失业金", "retained", None),
    ("困难证明", "请律师", "retained", None),
    ("身份证", None, "out_of_scope", None),
    ("户口本", None, "out_of_scope", None),
    # The village one is abolished for 出国 (a matter it names); the police one is kept only for
    # "法律法规要求…的从业/资格事项", which shares no word with 出国: the specific decision answers.
    ("良民证", "出国", "abolished", "QT-005"),
    ("良民证", "村里开的", None, None),  # any safe answer
    ("准生证", "上户口", "abolished", None),
    ("单身证明", "登记结婚", None, None),  # any safe answer
    ("健在证明", "领养老金", "abolished", None),
    ("居住证明", "办居住证", "retained", None),
    ("上户口", None, "needs_matter", None),
    ("出生医学证明", None, "needs_matter", None),
    ("健康证", "开饭店当厨师", None, None),
]


def ask(index: Index, name: str, matter: str | None):
    return decide(Question(name=name, matter=matter), index)


def check(index: Index, cases: list) -> tuple[int, int, list[str]]:
    direct = answerable = 0
    wrong: list[str] = []
    for name, matter, want, code in cases:
        v = ask(index, name, matter)
        if want in ("retained", "abolished", "retained_other_matter", "out_of_scope", "unlisted"):
            answerable += 1
            if v.verdict == want:
                direct += 1
        if want is not None and v.verdict != want:
            wrong.append(f"{name}+{matter}: {v.verdict}, want {want}")
        elif code and (v.certificate is None or v.certificate.code != code):
            wrong.append(f"{name}+{matter}: {v.certificate and v.certificate.code}, want {code}")
    return direct, answerable, wrong


@pytest.mark.parametrize(
    ("index", "cases"), [(SEED, SEED_CASES), (OTHER, OTHER_CASES)], ids=["seed", "other county"]
)
def test_questions_as_people_ask_them(index, cases):
    direct, answerable, wrong = check(index, cases)
    assert not wrong, "\n".join(wrong)
    assert direct >= 0.7 * answerable


@pytest.mark.parametrize("index", [SEED, OTHER], ids=["seed", "other county"])
def test_no_retained_item_is_refused_for_its_own_matters(index):
    """Asked the way the list words it, or by the certificate's everyday name: never 不得要求."""
    for n in range(len(index)):
        cert = index.items[n]
        if cert.status != "retained":
            continue
        for matter in cert.matters:
            v = ask(index, cert.name, matter)
            assert v.may_require or v.verdict == "needs_matter", (cert.name, matter, v.verdict)


@pytest.mark.parametrize("index", [SEED, OTHER], ids=["seed", "other county"])
def test_abolished_items_never_may_require_whatever_the_matter(index):
    matters = sorted({m for n in range(len(index)) for m in index.items[n].matters})[:40]
    for n in range(len(index)):
        cert = index.items[n]
        if cert.status == "abolished":
            for matter in (None, *cert.matters, matters[n % len(matters)]):
                v = ask(index, cert.name, matter)
                assert not v.may_require or v.certificate.code != cert.code, (cert.name, matter)


def test_independent_question_set_on_the_other_county():
    """tests/data/other_county_questions.csv: 100 questions written by someone who read only the
    design and the list, never the checker. The bar of issue 12: no retained certificate refused
    for one of its own matters, no unsafe answer, >= 70 % of the answerable ones answered
    directly. Where the writer expected needs_matter for a name that fits a retained item and
    a village-issued abolished one listed for the same matter (出生证明 + 上户口), we answer
    retained, as the issue's own example does: not counted as unsafe."""
    import csv

    path = Path(__file__).parent / "data" / "other_county_questions.csv"
    with path.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    direct = answerable = 0
    refused, unsafe = [], []
    for row in rows:
        v = ask(OTHER, row["name"], row["matter"] or None)
        want = row["expected"]
        if want and want != "needs_matter":
            answerable += 1
            direct += v.verdict == want
        if want == "retained" and v.verdict in ("abolished", "unlisted", "retained_other_matter"):
            refused.append((row["name"], row["matter"], v.verdict))
        if v.may_require and want in (
            "abolished",
            "unlisted",
            "out_of_scope",
            "retained_other_matter",
        ):
            unsafe.append((row["name"], row["matter"], v.certificate.code))
    assert not refused and not unsafe, (refused, unsafe)
    assert direct >= 0.7 * answerable, (direct, answerable)
