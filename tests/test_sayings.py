"""The checker's words as HTML (registry/web/sayings.py): the sentence in the reader's language,
escaped; every parameter shown as list data (converted for 繁體, lang="zh-CN" in English); the
JSON API's words (checker.reasons.render) untouched."""

from __future__ import annotations

from markupsafe import Markup

from registry.catalogue.models import Status
from registry.checker.guide import GuideItem
from registry.checker.reasons import Reason, render
from registry.checker.verdicts import Verdict, VerdictKind
from registry.infra.i18n import ENGLISH, SIMPLIFIED, TRADITIONAL
from registry.web import language, sayings

RETAINED = Reason(
    "retained.basis",
    {"matter": "新生儿出生登记", "name": "出生医学证明", "basis": "《母婴保健法》<第二十三条>"},
)
ABOLISHED = Reason("abolished.since_doc", {"name": "良民证", "since": "2018-12-28", "doc": "长发"})
OTHER = Reason(
    "other_matter.many",
    items=[
        {"name": "出生医学证明", "matters": ["新生儿出生登记", "补办"]},
        {"name": "居住证明", "matters": []},
    ],
)


def said(reasons: list[Reason], lang: str) -> Markup:
    with language.speaking(lang) as translations:
        return sayings.said(reasons, translations)


def test_simplified_is_the_api_words_escaped():
    for r in (RETAINED, ABOLISHED, OTHER):
        assert said([r], SIMPLIFIED) == Markup.escape(render([r]))
    assert "&lt;第二十三条&gt;" in said([RETAINED], SIMPLIFIED)


def test_english_marks_every_parameter_as_chinese_list_data():
    html = said([RETAINED], ENGLISH)
    for value in ("新生儿出生登记", "出生医学证明", "《母婴保健法》&lt;第二十三条&gt;"):
        assert f'<span lang="zh-CN">{value}</span>' in html
    assert "the window may ask you for" in html
    # a date is no list data to read as Chinese; a list is quoted and joined in English
    assert "2018-12-28" in said([ABOLISHED], ENGLISH) and '"zh-CN">2018' not in said(
        [ABOLISHED], ENGLISH
    )
    many = said([OTHER], ENGLISH)
    assert '“<span lang="zh-CN">新生儿出生登记</span>”, “<span lang="zh-CN">补办</span>”' in many
    assert "the matters the list names" in many


def test_traditional_converts_the_parameters():
    html = said([RETAINED], TRADITIONAL)
    assert "新生兒出生登記" in html and "出生醫學證明" in html and "lang=" not in html


def test_english_sentences_are_spaced():
    html = said([ABOLISHED, Reason("abolished.instead", {"replacement": "部门核查"})], ENGLISH)
    assert "). How it is proved now: " in html


def test_the_verdict_and_guide_words_leave_the_api_alone():
    verdict = Verdict(
        verdict=VerdictKind.ABOLISHED,
        may_require=False,
        certificate=None,
        reasons=[Reason("lead.may_not"), ABOLISHED],
        next_step_reasons=[Reason("step.abolished")],
        complaint_url=None,
    ).spoken()
    with language.speaking(ENGLISH) as translations:
        step, explained = sayings.verdict_words(verdict, translations)
    assert step.startswith("You no longer need") and "May not" not in explained
    assert '<span lang="zh-CN">良民证</span>' in explained
    assert verdict.explanation == "不得要求：“良民证”自2018-12-28起已经取消（长发）。"
    item = GuideItem(
        code="X",
        name="良民证",
        status=Status.ABOLISHED,
        may_require=False,
        url="/",
        next_step_reasons=[Reason("step.provide", {"issuer": "村委会"})],
    )
    with language.speaking(ENGLISH) as translations:
        assert '<span lang="zh-CN">村委会</span>' in sayings.item_step(item, translations)
    plain = Verdict(
        verdict=VerdictKind.UNLISTED,
        may_require=False,
        certificate=None,
        explanation="清单之外",
        next_step="不用开",
        complaint_url=None,
    )
    with language.speaking(ENGLISH) as translations:
        assert sayings.verdict_words(plain, translations) == (
            Markup('<span lang="zh-CN">不用开</span>'),
            Markup('<span lang="zh-CN">清单之外</span>'),
        )
