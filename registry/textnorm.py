"""One normaliser for the index and the query: NFKC, Traditional -> Simplified, punctuation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_t2s = opencc.OpenCC("t2s")
_PUNCT = re.compile(r"[\s\u3000\W_]+", re.UNICODE)


@lru_cache(maxsize=65536)
def simplify(text: str) -> str:
    """Full-width to half-width, Traditional to Simplified, lower case, spaces trimmed."""
    text = unicodedata.normalize("NFKC", text)
    return _t2s.convert(text).strip().lower()


def compact(text: str) -> str:
    """simplify() without spaces or punctuation: the form names are compared in."""
    return _PUNCT.sub("", simplify(text))
