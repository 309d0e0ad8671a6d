"""One normaliser for the index and the query: NFKC, Traditional -> Simplified, punctuation,
bracketed parts, suffix variants, pinyin and pinyin-initial keys."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_t2s = opencc.OpenCC("t2s")
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
BRACKETS = re.compile(r"[(（\[【〔][^)）\]】〕]*[)）\]】〕]")
_ASCII_WORD = re.compile(r"^[a-z0-9]+$")
# Longest first: 证明书 before 证明 before 证.
SUFFIXES = ("证明材料", "证明文件", "证明书", "证明信", "证明", "材料", "证")


@lru_cache(maxsize=65536)
def simplify(text: str) -> str:
    """Full-width to half-width, Traditional to Simplified, lower case, trimmed."""
    text = unicodedata.normalize("NFKC", text)
    return _t2s.convert(text).strip().lower()


@lru_cache(maxsize=65536)
def compact(text: str) -> str:
    """simplify() without spaces or punctuation: the form names are compared in."""
    return _PUNCT.sub("", simplify(text))


@lru_cache(maxsize=65536)
def core(text: str) -> str:
    """The name without bracketed parts and without the 证明/证明书/证 suffix."""
    s = _PUNCT.sub("", BRACKETS.sub("", simplify(text)))
    for suffix in SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            return s[: -len(suffix)]
    return s


def is_latin(text: str) -> bool:
    """A query typed as pinyin (or its initials): only ASCII letters and digits once compacted."""
    return bool(_ASCII_WORD.match(text))


@lru_cache(maxsize=8192)
def _char_pinyin(ch: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(ch)[0].lower()


def pinyin(text: str, *, phrase: bool = False) -> tuple[str, str]:
    """(full pinyin, initials) of compacted text; phrase=True reads polyphones in context.
    pypinyin is imported on first use: its dictionaries cost ~58 MB, and only building an index
    needs them (a worker whose large index is built in a child never loads them)."""
    from pypinyin import Style, lazy_pinyin

    if phrase:
        syllables = [s.lower() for s in lazy_pinyin(text, style=Style.NORMAL)]
    else:
        syllables = [_char_pinyin(ch) for ch in text]
    return "".join(syllables), "".join(s[0] for s in syllables if s)


@lru_cache(maxsize=16384)
def bigrams(text: str) -> frozenset[str]:
    """Shared, read-only: names and official matters are compared again and again."""
    if len(text) < 2:
        return frozenset({text} if text else ())
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))
