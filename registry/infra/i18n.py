"""Translations for what the code and the templates say: gettext objects, msgids in 简体中文.

Sentences in code are marked with N_ (or written as gettext(...) calls), template text with
{% trans %} / _(); `scripts/update_catalogues.py` extracts them (Babel) into
registry/locale/messages.pot and keeps the catalogues registry/locale/{zh_Hant,en}/LC_MESSAGES/
messages.po. The .po files are what is kept in git: they are read with Babel at start and
compiled in memory (no .mo files to build or forget). 简体 readers get the msgids themselves."""

from __future__ import annotations

import gettext
import io
from functools import cache, lru_cache
from pathlib import Path

import opencc

Translations = gettext.NullTranslations  # GNUTranslations (a compiled catalogue) is one too
CHINESE = gettext.NullTranslations()

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
# The interface languages: a language tag, and its catalogue's folder (None: the msgids).
SIMPLIFIED, TRADITIONAL, ENGLISH = "zh-Hans", "zh-Hant", "en"
LANGUAGES = (SIMPLIFIED, TRADITIONAL, ENGLISH)
CATALOGUE_DIRS = {SIMPLIFIED: None, TRADITIONAL: "zh_Hant", ENGLISH: "en"}


def N_(message: str) -> str:
    """Marks a msgid for extraction; it is translated where it is rendered."""
    return message


def language_tag(locale: str | None) -> str:
    """A supported language for a locale name (zh_Hant, zh-TW, en-GB...); 简体 otherwise."""
    tag = (locale or "").replace("_", "-").lower()
    if tag.startswith("en"):
        return ENGLISH
    if tag.startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo")):
        return TRADITIONAL
    return SIMPLIFIED


@cache
def load_catalogue(folder: str) -> Translations:
    """One catalogue, read from its .po and compiled in memory (Babel)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with (LOCALE_DIR / folder / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f, locale=folder)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translations_for(locale: str | None) -> Translations:
    """The catalogue for a reader's language; the msgids (简体) for 简体 or anything unknown."""
    folder = CATALOGUE_DIRS[language_tag(locale)]
    return CHINESE if folder is None else load_catalogue(folder)


# Characters only (with Taiwan's variants), no vocabulary: list data is official wording, and
# s2twp's IT vocabulary would turn 数据共享核验 into 資料… and a service 窗口 into a 視窗.
_s2t = opencc.OpenCC("s2tw")


@lru_cache(maxsize=65536)
def traditional(text: str) -> str:
    """List data (certificate names, departments, bases) in Traditional characters (OpenCC
    s2tw), each string converted once."""
    return _s2t.convert(text)
