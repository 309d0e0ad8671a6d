"""Typos by sound: 良名证 sounds like 良民证. Tone-less pinyin, folded so that near-homophones a
speaker of many dialects mixes up (zh/z, ch/c, sh/s, -ng/-n, l/n) read the same. Pure.

The table covers the CJK Unified Ideographs block from pypinyin's single-character data (no
phrase dictionary): built once per process and carried inside an index, so a worker whose index
was built in a child never loads pypinyin at all."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

FIRST, LAST = 0x4E00, 0x9FFF


@lru_cache(maxsize=1)
def table() -> tuple[str, ...]:
    """Folded tone-less reading of every character FIRST..LAST ('' where unknown)."""
    from pypinyin.pinyin_dict import pinyin_dict

    syllables: dict[str, str] = {}
    out = []
    for cp in range(FIRST, LAST + 1):
        reading = pinyin_dict.get(cp, "").split(",")[0]
        out.append(syllables.setdefault(reading, fold(_toneless(reading))) if reading else "")
    return tuple(out)


def _toneless(reading: str) -> str:
    text = unicodedata.normalize("NFD", reading.replace("ü", "v"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def fold(syllable: str) -> str:
    for hard, soft in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if syllable.startswith(hard):
            syllable = soft + syllable[2:]
    if syllable.startswith("l"):
        syllable = "n" + syllable[1:]
    if syllable.endswith("ng"):
        syllable = syllable[:-1]
    return syllable


def sound(text: str, readings: tuple[str, ...]) -> str:
    """The folded reading of text (compacted); '' when any character has none (Latin, rare)."""
    out = []
    for ch in text:
        cp = ord(ch)
        reading = readings[cp - FIRST] if FIRST <= cp <= LAST else ""
        if not reading:
            return ""
        out.append(reading)
    return " ".join(out)
