"""The checker says reason codes and parameters; checker.reasons renders them at read time, in
the reader's language. A second language here is a test catalogue compiled with Babel."""

from __future__ import annotations

import datetime as dt
import gettext
import io
import re
import string
from pathlib import Path

import msgspec
import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from registry.catalogue import transfer, vocab
from registry.checker import reasons
from registry.checker.decide import Index, Question, decide, guide
from registry.checker.reasons import MESSAGES, Reason, render
from registry.checker.verdicts import Verdict
from registry.infra.settings import PROJECT_ROOT

TODAY = dt.date(2026, 12, 1)
ROWS, _ = transfer.parse_rows(
    transfer.read_file(PROJECT_ROOT / "seed_data" / "certificates.csv"), today=TODAY
)
CERTS = [r.cert for r in ROWS]
INDEX = Index(CERTS, TODAY, vocab.shipped())
LEFTOVER = re.compile(r"\{[^{}]*\}")
CHECKER = PROJECT_ROOT / "registry" / "checker"

# A test catalogue for one answer (良民证: abolished, checked between departments) and the plural.
PO = r"""
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

msgid "不得要求："
msgstr "Not allowed: "

msgid "“{name}”自{since}起已经取消（{doc}）。"
msgstr "“{name}” was abolished on {since} ({doc}). "

msgid "取消后的办法：{replacement}。"
msgstr "Instead: {replacement}."

msgid "窗口应自己向有关部门核实，不能让您跑。"
msgstr "The window must check with the department itself; you need not go."

msgid "清单上名为“{name}”一类的证明共有 {count} 项，都已取消，办什么事都不得索要。"
msgid_plural "清单上名为“{name}”一类的证明共有 {count} 项，都已取消，办什么事都不得索要。"
msgstr[0] "The list has {count} item called “{name}”: abolished."
msgstr[1] "The list has {count} items called “{name}”, all abolished."

msgid "具体办法：{details}。"
msgstr " How: {details}."

msgid "、"
msgstr ", "

msgid "但{names}已经取消，不得要求。"
msgstr "But {names} {broken} are abolished."

msgid "“{name}”不在证明事项清单上，清单之外一律不得索要。"
msgstr "“{nmae}” is not on the list."
"""


def english() -> gettext.GNUTranslations:
    catalog = read_po(io.StringIO(PO), locale="en")
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def questions() -> list[Question]:
    names = sorted({n for c in CERTS for n in (c.name, *c.aliases)})
    odd = ["良民证", "身份证", "上户口", "办低保", "放生证明", "良名证", "犯罪", "出生证明", "证明"]
    asked = (None, "其他事项", "上户口", "领失业金", "结婚登记", "法律援助", "火化", "贷款买房")
    return [Question(name=n, matter=m) for n in names + odd for m in asked]


def said_by_checker() -> list[Reason]:
    out: list[Reason] = []
    for q in questions():
        v = decide(q, INDEX)
        out += v.reasons + v.next_step_reasons
    for g in guide("", INDEX):
        for item in g.required + g.not_required:
            out += item.next_step_reasons
    return out


def test_every_code_the_checker_returns_is_in_the_catalogue_and_renders_fully():
    said = said_by_checker()
    codes = {r.code for r in said}
    assert codes <= set(MESSAGES), codes - set(MESSAGES)
    # The seed list reaches most of the catalogue, and each kind of part.
    assert {"lead.may", "retained.basis", "abolished.since_doc", "abolished.all"} <= codes
    assert {"other_matter", "needs_matter.one", "unlisted.sounds_like", "step.details"} <= codes
    for r in {msgspec.json.encode(r): r for r in said}.values():
        text = render([r])
        assert text and not LEFTOVER.search(text), (r, text)


def test_every_code_written_in_the_checker_has_a_message_and_every_message_is_used():
    source = "\n".join(p.read_text() for p in CHECKER.glob("*.py") if p.name != "reasons.py")
    prefixes = "lead|step|retained|abolished|other_matter|needs_matter|matter_as_name|unlisted"
    dotted = re.findall(rf'"((?:{prefixes}|licence)\.[a-z_.]+)"', source)
    written = set(dotted) | set(re.findall(r'Reason\(\s*"([a-z_.]+)"', source))
    assert written <= set(MESSAGES), written - set(MESSAGES)
    item_codes = {item for item, _ in reasons.ITEMS.values()}
    unused = {c for c in set(MESSAGES) - item_codes if f'"{c}"' not in source}
    assert not unused


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_each_message_renders_with_its_placeholders_filled(code):
    entry = MESSAGES[code]
    text = entry if isinstance(entry, str) else entry[0]
    names = {f for _, f, _, _ in string.Formatter().parse(text) if f}
    params: dict[str, reasons.Param] = {n: ["甲", "乙"] if n == "matters" else "某" for n in names}
    params.pop("items", None)
    if "count" in names:
        params["count"] = 3
    items = [{"name": "某", "matters": ["甲"]}] * 2 if code in reasons.ITEMS else []
    out = render([Reason(code, params, items)])
    assert out and not LEFTOVER.search(out), out
    assert "“甲”、“乙”" in out or "matters" not in names  # lists: quoted, joined with 、


def test_one_verdict_in_two_languages():
    v = decide(Question(name="良民证"), INDEX)
    cert = v.certificate
    assert cert is not None and cert.code == "CY-ZM-014"
    zh = v.spoken()
    assert zh.explanation == (
        f"不得要求：“{cert.name}”自{cert.effective_from}起已经取消（{cert.decision_doc}）。"
        f"取消后的办法：{cert.replacement}。"
    )
    how = cert.replacement.split("：", 1)[1]
    assert zh.next_step == f"窗口应自己向有关部门核实，不能让您跑。具体办法：{how}。"
    en = v.spoken(english())
    assert en.explanation == (
        f"Not allowed: “{cert.name}” was abolished on {cert.effective_from} "
        f"({cert.decision_doc}). Instead: {cert.replacement}."
    )
    assert en.next_step == (
        f"The window must check with the department itself; you need not go. How: {how}."
    )
    # The page: the headline says "不得要求" already, so the lead is left out, in either language.
    assert v.words()[1] == zh.explanation.removeprefix("不得要求：")
    assert v.words(english()) == (en.next_step, en.explanation.removeprefix("Not allowed: "))


def test_counts_are_plural_and_lists_joined_at_read_time():
    all_gone = [Reason("abolished.all", {"name": "户口证明", "count": n}) for n in (1, 4)]
    assert render(all_gone[1:]) == (
        "清单上名为“户口证明”一类的证明共有 4 项，都已取消，办什么事都不得索要。"
    )
    en = english()
    assert render(all_gone[:1], en) == "The list has 1 item called “户口证明”: abolished."
    assert render(all_gone[1:], en) == "The list has 4 items called “户口证明”, all abolished."
    gone = Reason("retained.lookalikes", {"names": ["甲证明", "乙证明"]})
    assert render([gone]) == "但“甲证明”、“乙证明”已经取消，不得要求。"
    kept = Reason("other_matter", {"name": "甲证明", "matters": []})
    assert "只能在办理清单列明的事项时索要" in render([kept])


def test_a_translation_with_a_broken_placeholder_falls_back_to_the_message_id():
    en = english()
    gone = Reason("retained.lookalikes", {"names": ["甲证明"]})
    assert render([gone], en) == "但“甲证明”已经取消，不得要求。"
    unlisted = [Reason("lead.may_not"), Reason("unlisted", {"name": "放生证明"})]
    said = "Not allowed: “放生证明”不在证明事项清单上，清单之外一律不得索要。"
    assert render(unlisted, en) == said


def test_the_json_carries_codes_and_the_chinese_words():
    v = decide(Question(name="出生证明", matter="上户口"), INDEX).spoken()
    body = msgspec.json.decode(msgspec.json.encode(v))
    assert body["reasons"][0] == {"code": "lead.may"}
    assert body["reasons"][1]["code"] == "retained.basis"
    assert body["reasons"][1]["params"]["matter"] == "新生儿出生登记（落户）"
    assert body["next_step_reasons"][0]["code"] == "step.provide"
    again = msgspec.json.decode(msgspec.json.encode(v), type=Verdict)
    assert render(again.reasons) == v.explanation.strip() == body["explanation"]
    assert body["explanation"].startswith("可以要求：办理“新生儿出生登记（落户）”时")


async def test_the_verdict_page_renders_the_sentence_from_the_codes(client):
    r = await client.get("/check", params={"name": "良民证"})
    api = (await client.get("/api/v1/check", params={"name": "良民证"})).json()
    assert r.status_code == 200
    shown = api["explanation"].removeprefix("不得要求：")
    assert f'<p class="next-step">{api["next_step"]}</p>' in r.text
    assert f'<p class="explanation">{shown}</p>' in r.text.replace("&#34;", '"')


def test_catalogue_messages_are_extractable_by_babel():
    from babel.messages.extract import extract_from_file

    found = {
        m[1] if isinstance(m[1], str) else m[1][0]
        for m in extract_from_file(
            "python",
            str(Path(reasons.__file__)),
            keywords={"N_": None, "Nn_": (1, 2)},
        )
    }
    wanted = {e if isinstance(e, str) else e[0] for e in MESSAGES.values()}
    assert wanted <= found, wanted - found
