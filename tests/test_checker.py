"""decide(): table-driven cases over the seed list, and the safety rule as properties."""
# ruff: noqa: E501  (the case tables read best one case a line)

from __future__ import annotations

import datetime as dt
import unicodedata
from urllib.parse import parse_qsl, urlsplit

import msgspec
import opencc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.catalogue import transfer, vocab
from registry.catalogue.models import Status
from registry.checker import matters
from registry.checker.decide import OTHER_MATTER, Index, Question, decide, levenshtein, similarity
from registry.checker.textnorm import compact, core, is_latin
from registry.infra.settings import PROJECT_ROOT
from registry.web import views
from registry.web.errors import InvalidInput

TODAY = dt.date(2026, 1, 1)
ROWS, ERRORS = transfer.parse_rows(
    transfer.read_file(PROJECT_ROOT / "seed_data" / "certificates.csv"), today=TODAY
)
CERTS = [r.cert for r in ROWS]
VOCAB = vocab.shipped()
INDEX = Index(CERTS, TODAY, VOCAB)
ABOLISHED_LABELS = sorted(
    {label for c in CERTS if c.status is Status.ABOLISHED for label in [c.name, *c.aliases]}
)
RETAINED = {c.code: c for c in CERTS if c.status is Status.RETAINED}
to_traditional = opencc.OpenCC("s2t")


def test_seed_parses():
    assert not ERRORS and len(CERTS) == 173


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


# (case, name, matter, expected verdict, expected certificate code or None). Design §3, rule by rule.
CASES = [
    # A retained item named without a matter asks which matter: needs_matter.
    ("exact retained, no matter", "出生医学证明", None, "needs_matter", None),
    ("exact abolished", "健在证明", None, "abolished", None),
    ("traditional", "無犯罪記錄證明", None, "abolished", "CY-ZM-014"),
    ("traditional retained", "出生醫學證明", None, "needs_matter", None),
    ("full-width", full_width("wfzjlzm"), None, "abolished", "CY-ZM-014"),
    ("full-width punctuation", "出生医学证明！", "落户", "retained", "CY-ZM-001"),
    ("spaced", "无 犯罪 记录 证明", None, "abolished", "CY-ZM-014"),
    ("trailing 。", "出生医学证明。", "落户", "retained", "CY-ZM-001"),
    ("trailing ideographic space", "出生医学证明\u3000", "落户", "retained", "CY-ZM-001"),
    ("alias", "良民证", None, "abolished", "CY-ZM-014"),
    ("alias 户口证明", "户口证明", None, "abolished", None),
    ("alias 生存证明", "生存证明", None, "abolished", None),
    ("pinyin initials", "wfzjlzm", None, "abolished", "CY-ZM-014"),
    ("pinyin initials upper, retained", "CSYXZM", "落户", "retained", "CY-ZM-001"),
    ("full pinyin", "chushengyixuezhengming", "落户", "retained", "CY-ZM-001"),
    ("full pinyin spaced", "chu sheng yi xue zheng ming", None, "needs_matter", None),
    ("suffix 证明书", "出生医学证明书", "落户", "retained", "CY-ZM-001"),
    ("suffix 证", "出生医学证", "落户", "retained", "CY-ZM-001"),
    ("one-character typo", "无犯罪纪录证明", None, "abolished", None),
    # A near miss of a retained name never licenses a demand: it asks back.
    ("typo in retained", "非正長死亡证明", "火化", "needs_matter", None),
    ("two-character fragment", "犯罪", None, "unlisted", None),
    ("unlisted", "外星人登记证明", None, "unlisted", None),
    ("retained, listed matter", "出生医学证明", "落户", "retained", "CY-ZM-001"),
    (
        "retained, listed matter exactly",
        "出生医学证明",
        "新生儿出生登记（落户）",
        "retained",
        "CY-ZM-001",
    ),
    (
        "retained, the asker chose none of these",
        "出生医学证明",
        OTHER_MATTER,
        "retained_other_matter",
        "CY-ZM-001",
    ),
    (
        "retained, surely another official matter",
        "出生医学证明",
        "结婚登记",
        "retained_other_matter",
        "CY-ZM-001",
    ),
    ("retained, unknown matter asks back", "出生医学证明", "弄那个东西", "needs_matter", None),
    ("retained, traditional matter", "出生醫學證明", "新生兒出生登記", "retained", "CY-ZM-001"),
    ("abolished whatever the matter", "良民证", "就业", "abolished", "CY-ZM-014"),
    ("name of items of both statuses", "出生证明", None, "needs_matter", None),
    ("both statuses: the matter picks the retained", "出生证明", "上户口", "retained", "CY-ZM-001"),
    (
        "both statuses: the matter picks the abolished",
        "出生证明",
        "补办出生医学证明",
        "abolished",
        "CY-ZM-018",
    ),
    # The examples.
    ("issue: 出生证明 上户口", "出生证明", "上户口", "retained", "CY-ZM-001"),
    ("issue: 离职证明 领失业金", "离职证明", "领失业金", "retained", "CY-ZM-004"),
    ("issue: 困难证明 法律援助请律师", "困难证明", "法律援助请律师", "retained", "CY-ZM-008"),
    ("issue: 死亡证明 火化", "死亡证明", "火化", "retained", "CY-ZM-002"),
    ("issue: 居住证明 居住证申领", "居住证明", "居住证申领", "retained", "CY-ZM-006"),
    ("issue: 经济困难证明 alone", "经济困难证明", None, "needs_matter", None),
    ("issue: 身份证", "身份证", None, "out_of_scope", None),
    ("issue: 户口本", "户口本", None, "out_of_scope", None),
    ("issue: 结婚证", "结婚证", None, "out_of_scope", None),
    ("issue: 上户口 as the name", "上户口", None, "needs_matter", None),
    ("issue: 开餐馆 as the name", "开餐馆", None, "needs_matter", None),
    ("issue: 良名证 sounds like 良民证", "良名证", None, "unlisted", None),
    ("issue: 单身证名 sounds like 单身证明", "单身证名", None, "unlisted", None),
]


@pytest.mark.parametrize(
    ("case", "name", "matter", "verdict", "code"), CASES, ids=[c[0] for c in CASES]
)
def test_decide(case, name, matter, verdict, code):
    v = decide(Question(name=name, matter=matter), INDEX).spoken()
    assert v.verdict == verdict, (case, v.explanation, v.candidates)
    assert v.may_require is (verdict == "retained")
    if code:
        assert v.certificate is not None and v.certificate.code == code
    if verdict in ("unlisted", "needs_matter", "out_of_scope"):
        assert v.certificate is None
    if verdict in ("retained", "abolished", "retained_other_matter", "unlisted"):
        assert v.explanation.startswith("可以要求" if v.may_require else ("不得要求", "清单上没有"))
    assert (v.complaint_url is None) is v.may_require  # every "false" offers a complaint
    assert v.next_step


def test_sound_alikes_are_offered_never_taken():
    for typed, meant in (("良名证", "CY-ZM-014"), ("单身证名", "CY-ZM-066")):
        v = decide(Question(name=typed), INDEX)
        assert v.verdict == "unlisted" and v.certificate is None
        assert v.candidates and v.candidates[0].code == meant, typed
    near = decide(Question(name="无犯罪记录正明"), INDEX)
    assert not near.may_require
    assert "CY-ZM-014" in {c.code for c in near.candidates} | {
        near.certificate.code if near.certificate else ""
    }


def test_needs_matter_choices_each_answer_by_their_own_link():
    v = decide(Question(name="经济困难证明"), INDEX)
    assert v.verdict == "needs_matter" and v.other_url
    by_code = {c.code: c for c in v.choices}
    assert {"CY-ZM-008", "CY-ZM-131"} <= set(by_code)
    assert by_code["CY-ZM-008"].may_require and not by_code["CY-ZM-131"].may_require
    for choice in v.choices:
        params = dict(parse_qsl(urlsplit(choice.url).query))
        answer = decide(Question(name=params["name"], matter=params.get("matter")), INDEX)
        assert answer.verdict != "needs_matter", choice
        assert answer.may_require is choice.may_require, choice
        assert answer.certificate is not None and answer.certificate.code == choice.code
    other = dict(parse_qsl(urlsplit(v.other_url).query))
    assert other["matter"] == OTHER_MATTER
    assert not decide(Question(name=other["name"], matter=other["matter"]), INDEX).may_require


def test_matter_typed_as_the_name_offers_the_guide():
    v = decide(Question(name="上户口"), INDEX)
    assert v.verdict == "needs_matter" and v.guide_url and v.guide_url.startswith("/matters?")
    assert any(c.code == "CY-ZM-001" and c.may_require for c in v.choices)


def test_out_of_scope_says_what_a_window_may_do():
    v = decide(Question(name="身份证"), INDEX).spoken()
    assert v.licence is not None and v.licence.rule and "证件" in v.explanation
    assert v.complaint_url  # still accepted and routed to the office


def test_retained_answer_names_the_abolished_lookalike():
    v = decide(Question(name="出生证明", matter="上户口"), INDEX).spoken()
    assert v.matter == "新生儿出生登记（落户）"
    assert "出生证明（村居出具）" in v.explanation


def test_every_replacement_way_has_a_plain_next_step():
    for c in CERTS:
        if c.status is Status.ABOLISHED:
            step = decide(Question(name=c.name), INDEX).spoken().next_step
            assert step and "：" not in step[:2], (c.code, step)


def test_fragment_offers_candidates_ranked_by_score():
    v = decide(Question(name="犯罪"), INDEX)
    assert v.candidates and any("无犯罪记录" in c.name for c in v.candidates)
    scores = [c.score for c in v.candidates]
    assert scores == sorted(scores, reverse=True)


def test_abolished_answer_says_date_document_and_replacement():
    v = decide(Question(name="良民证"), INDEX).spoken()
    assert v.certificate is not None
    assert "2018-12-28" in v.explanation and v.certificate.decision_doc in v.explanation
    assert v.certificate.replacement in v.explanation
    assert v.complaint_url.startswith("/complaints/new?certificate_name=")


def test_every_retained_name_and_alias_with_each_of_its_matters_may_be_required():
    for c in RETAINED.values():
        for label in [c.name, *c.aliases]:
            for matter in c.matters:
                v = decide(Question(name=label, matter=matter), INDEX)
                assert v.may_require and v.certificate.code == c.code, (label, matter)
            asked = decide(Question(name=label), INDEX)
            assert asked.verdict == "needs_matter" and not asked.may_require, label
            assert {ch.code for ch in asked.choices if ch.may_require} >= {c.code}, label


def test_empty_index_knows_nothing():
    v = decide(Question(name="出生医学证明"), Index([], TODAY, VOCAB))
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


RETAINED_LABEL_LIST = sorted({lbl for c in RETAINED.values() for lbl in [c.name, *c.aliases]})
# Characters of the list's own matters and everyday words: random matters that come close.
MATTER_ALPHABET = "".join(
    sorted(
        {ch for c in CERTS for m in c.matters for ch in m} | set("上户口领失业金办低保开饭馆找工作")
    )
)

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
        assert_confident_pair(name, matter, v)


def assert_confident_pair(name, matter, v):
    """may_require only for a confident (item, matter) pair: a retained item the name surely
    names (name, alias, their normalised or look-alike forms) and a matter surely its own."""
    assert v.certificate is not None and v.certificate.status is Status.RETAINED
    assert matter is not None and v.matter in v.certificate.matters
    reading = INDEX.read(matter)
    assert matters.score(reading, compact(v.matter)) >= matters.CONFIDENT, (name, matter)
    labels = [v.certificate.name, *v.certificate.aliases]
    assert any(
        similarity(transfer_core(name), transfer_core(label)) >= 0.5 for label in labels
    ) or is_latin(compact(name)), (name, v.certificate.code)


@PROPERTY
@given(
    name=st.text(
        alphabet="的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话",
        max_size=12,
    )
)
def test_random_chinese_never_may_require_unless_close_to_a_retained_name(name):
    assert not decide(Question(name=name), INDEX).may_require  # no matter: never


@PROPERTY
@given(
    name=st.sampled_from(RETAINED_LABEL_LIST) | st.text(max_size=12),
    matter=st.text(alphabet=MATTER_ALPHABET, min_size=1, max_size=10),
)
def test_chinese_matters_may_require_only_as_a_confident_pair(name, matter):
    v = decide(Question(name=name, matter=matter), INDEX)
    if v.may_require:
        assert_confident_pair(name, matter, v)


def transfer_core(text: str) -> str:
    return core(text)


RETAINED_LABELS = sorted({lbl for c in RETAINED.values() for lbl in [c.name, *c.aliases]})


@PROPERTY
@given(name=st.sampled_from(RETAINED_LABELS), matter=st.text(min_size=1, max_size=12))
def test_retained_with_an_unlisted_matter_never_may_require(name, matter):
    v = decide(Question(name=name, matter=matter), INDEX)
    if v.may_require:
        reading = INDEX.read(matter)
        best = max(matters.score(reading, m) for m in INDEX.matters_of(v.certificate.code))
        assert best >= matters.CONFIDENT, (name, matter)


@PROPERTY
@given(
    name=st.text(max_size=120),
    matter=st.none() | st.text(max_size=120),
    department=st.none() | st.text(max_size=20),
)
def test_no_input_breaks_the_answer(name, matter, department):
    """What the API does with any query: a 4xx (InvalidInput) for bad input, else an answer
    that encodes; never an exception (a 5xx). The HTTP layer is walked in test_input_boundary
    and by schemathesis (tests/browser/test_api_fuzz.py)."""
    try:
        question, _ = views.parse_question(name, matter, department, None)
    except InvalidInput:
        return
    v = decide(question, INDEX)
    assert msgspec.json.decode(msgspec.json.encode(v))["verdict"] == v.verdict
    if v.may_require:
        assert_confident_pair(question.name, question.matter, v)
