"""One rule for text that comes from outside (forms, JSON, query strings, imported files):
NUL, other C0/C1 control characters (tab and line breaks aside) and lone surrogates are
refused. PostgreSQL cannot store NUL, XLSX cannot hold control characters, and none of them
belongs in a certificate name or a complaint."""

from __future__ import annotations

import re

# C0 except \t \n \r, DEL, C1, and UTF-16 surrogates (only reachable as lone ones in str).
_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
MESSAGE = "含有不可见的控制字符，请删除后重试"


def bad_char(text: str) -> str | None:
    """The first refused character, or None when the text is clean."""
    m = _BAD.search(text)
    return m.group() if m else None


def is_clean(text: str) -> bool:
    return _BAD.search(text) is None


def strip_bad(text: str) -> str:
    """For re-rendering a refused form: show what was typed, less the invisible characters."""
    return _BAD.sub("", text)
