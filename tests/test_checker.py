"""decide(): table-driven cases over the seed list, and the safety rule as properties."""

from __future__ import annotations

import datetime as dt
import unicodedata

import opencc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry import transfer
from registry.checker import Index, Question, decide, levenshtein, similarity
from registry.models import Status
from registry.settings import PROJECT_ROOT
from registry.textnorm import compact, core

TODAY = dt.date(2026, 1, 1)
ROWS, ERRORS = transfer.parse_rows(
    transfer.read_file(PROJECT_ROOT / "seed_data" / "certificates.csv"), today=TODAY
)
CERTS = [r.cert for r in ROWS]
INDEX = Index(CERTS, TODAY)
ABOLISHED_LABELS = sorted(
    {label for c in CERTS if c.status is Status.ABOLISHED for label in [c.name, *c.aliases]}
)
RETAINED = {c.code: c for c in CERTS if c.status is Status.RETAINED}
to_traditional = opencc.OpenCC("s2t")


def test_seed_parses():
    assert not ERRORS and len(CERTS) == 173


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


# (question, matter, expected verdict, expected code or None)
CASES = [
    ("exact retained", "出生医学证明", None, "retained", "CY-ZM-001"),
    ("exact abolished", "健在证明", None, "abolished", None),
    ("traditional", "無犯罪記錄證明", None, "abolished", "CY-ZM-014"),
    ("traditional retained", "出生醫學證明", None, "retained", "CY-ZM-001"),
    ("full-width", full_width("wfzjlzm"), None, "abolished", "CY-ZM-014"),
    ("full-width punctuation", "出生医学证明！", None, "retained", "CY-ZM-001"),
    ("spaced", "无 犯罪 记录 证明", None, "abolished", "CY-ZM-014"),
    ("trailing 。", "出生医学证明。", None, "retained", "CY-ZM-001"),
    ("trailing ideographic space", "出生医学证明\u3000", None, "retained", "CY-ZM-001"),
    ("alias", "良民证", None, "abolished", "CY-ZM-014"),
    ("alias 户口证明", "户口证明", None, "abolished", None),
    ("alias 生存证明", "生存证明", None, "abolished", None),
    ("pinyin initials", "wfzjlzm", None, "abolished", "CY-ZM-014"),
    ("pinyin initials upper", "CSYXZM", None, "retained", "CY-ZM-001"),
    ("full pinyin", "chushengyixuezhengming", None, "retained", "CY-ZM-001"),
    ("full pinyin spaced", "chu sheng yi xue zheng ming", None, "retained", "CY-ZM-001"),
    ("suffix 证明书", "出生医学证明书", None, "retained", "CY-ZM-001"),
    ("suffix 证", "出生医学证", None, "retained", "CY-ZM-001"),
    ("one-character typo", "无犯罪纪录证明", None, "abolished", None),
    ("typo in retained", "非正長死亡证明", None, "unlisted", None),
    ("two-character fragment", "犯罪", None, "unlisted", None),
    ("unlisted", "外星人登记证明", None, "unlisted", None),
    ("retained, listed matter", "出生医学证明", "落户", "retained", "CY-ZM-001"),
    ("retained, other matter", "出生医学证明", "结婚登记", "retained_other_matter", "CY-ZM-001"),
    ("retained, traditional matter", "出生醫學證明", "新生兒出生登記", "retained", "CY-ZM-001"),
    ("abolished whatever the matter", "良民证", "就业", "abolished", "CY-ZM-014"),
    ("ambiguous retained/abolished", "出生证明", None, "unlisted", None),
]


@pytest.mark.parametrize(
    ("case", "name", "matter", "verdict", "code"), CASES, ids=[c[0] for c in CASES]
)
def test_decide(case, name, matter, verdict, code):
    v = decide(Question(name=name, matter=matter), INDEX)
    assert v.verdict == verdict, (case, v.explanation, v.candidates)
    assert v.may_require is (verdict == "retained")
    if code:
        assert v.certificate is not None and v.certificate.code == code
    if verdict == "unlisted":
        assert v.certificate is None
    first = v.explanation[:4]
    assert first == ("可以要求" if v.may_require else "不得要求")
    assert (v.complaint_url is None) is v.may_require


def test_fragment_offers_candidates_ranked_by_score():
    v = decide(Question(name="犯罪"), INDEX)
    assert v.candidates and any("无犯罪记录" in c.name for c in v.candidates)
    scores = [c.score for c in v.candidates]
    assert scores == sorted(scores, reverse=True)


def test_ambiguous_name_offers_both_and_the_matter_decides():
    v = decide(Question(name="出生证明"), INDEX)
    assert {c.status for c in v.candidates} == {Status.RETAINED, Status.ABOLISHED}
    with_matter = decide(Question(name="出生证明", matter="落户"), INDEX)
    assert with_matter.verdict == "retained" and with_matter.certificate.code == "CY-ZM-001"
    other = decide(Question(name="出生证明", matter="补办出生医学证明"), INDEX)
    assert other.verdict == "abolished" and other.certificate.code == "CY-ZM-018"
    both = decide(Question(name="出生证明", matter="出生登记"), INDEX)
    assert both.verdict == "unlisted" and not both.may_require


def test_abolished_answer_says_date_document_and_replacement():
    v = decide(Question(name="良民证"), INDEX)
    assert v.certificate is not None
    assert "2018-12-28" in v.explanation and v.certificate.decision_doc in v.explanation
    assert v.certificate.replacement in v.explanation
    assert v.complaint_url.startswith("/complaints/new?certificate_name=")


def test_every_retained_name_and_alias_may_be_required():
    for c in RETAINED.values():
        for label in [c.name, *c.aliases]:
            v = decide(Question(name=label), INDEX)
            assert v.may_require and v.certificate.code == c.code, label


def test_empty_index_knows_nothing():
    v = decide(Question(name="出生医学证明"), Index([], TODAY))
    assert v.verdict == "unlisted" and not v.may_require


def test_similarity_helpers():
    assert levenshtein("无犯罪记录", "无犯罪纪录") == 1
    assert similarity("无犯罪记录", "无犯罪纪录") == 0.8
    assert similarity("犯罪", "无犯罪记录") < 0.8


# ---- the safety rule ----------------------------------------------------------------------

decorations = st.sampled_from(["", " ", "　", "。", "！", "?", "（）", "证明", "书", "\t"])


@st.composite
def abolished_as_typed(draw: st.DrawFn) -> str:
    label = draw(st.sampled_from(ABOLISHED_LABELS))
    if draw(st.booleans()):
        label = to_traditional.convert(label)
    if draw(st.booleans()):
        label = " ".join(label) if draw(st.booleans()) else unicodedata.normalize("NFKD", label)
    return draw(decorations) + label + draw(decorations)


PROPERTY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(name=abolished_as_typed(), matter=st.none() | st.text(max_size=20))
def test_abolished_names_never_may_require(name, matter):
    v = decide(Question(name=name, matter=matter), INDEX)
    assert not v.may_require, (name, v.certificate)


@PROPERTY
@given(name=st.text(max_size=30), matter=st.none() | st.text(max_size=20))
def test_random_strings_never_may_require_unless_they_name_a_retained_item(name, matter):
    v = decide(Question(name=name, matter=matter), INDEX)
    if v.may_require:
        # Only possible if the random text happens to name a retained item confidently.
        assert v.certificate is not None and v.certificate.status is Status.RETAINED
        assert similarity(transfer_core(name), transfer_core(v.certificate.name)) >= 0.8 or any(
            transfer_core(name) == transfer_core(a) for a in v.certificate.aliases
        )


@PROPERTY
@given(
    name=st.text(
        alphabet="的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话",
        max_size=12,
    )
)
def test_random_chinese_never_may_require_unless_close_to_a_retained_name(name):
    v = decide(Question(name=name), INDEX)
    assert not v.may_require or v.certificate.status is Status.RETAINED


def transfer_core(text: str) -> str:
    return core(text)


RETAINED_LABELS = sorted({lbl for c in RETAINED.values() for lbl in [c.name, *c.aliases]})


@PROPERTY
@given(name=st.sampled_from(RETAINED_LABELS), matter=st.text(min_size=1, max_size=12))
def test_retained_with_an_unlisted_matter_never_may_require(name, matter):
    v = decide(Question(name=name, matter=matter), INDEX)
    want = compact(matter)
    if v.may_require and want:
        assert any(want in m or m in want for m in INDEX.matters_of(v.certificate.code))
