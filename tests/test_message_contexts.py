"""One 简体 word, two meanings (issue 14): pgettext in the templates reads the catalogue's
message context, so English can say each meaning its own way while 简体 shows the msgid."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.web import language
from registry.web.rendering import make_environment

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SAID = (
    '{{ pgettext("account status", "停用") }}|{{ pgettext("account action", "停用") }}|'
    '{{ _("新增") }}|{{ pgettext("change", "新增") }}|{{ pgettext("import", "新增") }}|'
    '{{ pgettext("figure", "保留") }}|{{ _("保留") }}|'
    '{{ pgettext("one complaint", "办理事项") }}|{{ pgettext("column of buttons", "操作") }}'
)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (language.SIMPLIFIED, "停用|停用|新增|新增|新增|保留|保留|办理事项|操作"),
        (language.TRADITIONAL, "停用|停用|新增|新增|新增|保留|保留|辦理事項|操作"),
        (
            language.ENGLISH,
            "Deactivated|Deactivate|Add|Added|New items|retained|Retained|Matter|Actions",
        ),
    ],
)
def test_a_context_gives_a_word_its_own_translation(lang: str, words: str) -> None:
    env = make_environment(TEMPLATES)
    with language.speaking(lang):
        assert env.from_string(SAID).render() == words


def test_the_change_words_keep_their_chinese_markup() -> None:
    macros = make_environment(TEMPLATES).get_template("_macros/certificates.html")
    with language.speaking(language.SIMPLIFIED):
        assert str(macros.module.change_word("added", "新增")) == "<strong>新增</strong>"
    with language.speaking(language.ENGLISH):
        assert str(macros.module.change_word("added", "新增")) == "<strong>Added</strong>"
