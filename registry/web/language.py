"""The reader's language: chosen with the header's switch (/lang, a cookie), else guessed from
Accept-Language; and the gettext the templates' {% trans %} and _() call while a page renders."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from litestar import Request
from markupsafe import Markup, escape

from registry.infra.i18n import (
    CHINESE,
    ENGLISH,
    LANGUAGES,
    SIMPLIFIED,
    TRADITIONAL,
    Translations,
    language_tag,
    traditional,
    translations_for,
)

COOKIE = "lang"
# <html lang> and hreflang for each language, and how the switch names it (in itself).
HTML_LANG = {SIMPLIFIED: "zh-CN", TRADITIONAL: "zh-TW", ENGLISH: "en"}
SWITCH_LABELS = {SIMPLIFIED: "简体", TRADITIONAL: "繁體", ENGLISH: "English"}
# The header's switch: (language, its name, its tag), in this order.
SWITCH = tuple((code, SWITCH_LABELS[code], HTML_LANG[code]) for code in LANGUAGES)

_current: ContextVar[str] = ContextVar("language", default=SIMPLIFIED)


def from_accept_language(header: str) -> str:
    """The first language of the header (by q) that the site speaks; 简体 otherwise."""
    weighted: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:20]):
        name, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            with contextlib.suppress(ValueError):
                q = float(params.strip()[2:])
        if name and q > 0:
            weighted.append((-q, i, name.strip()))
    for _q, _i, name in sorted(weighted):
        lowered = name.lower()
        if lowered.startswith(("zh", "en")):
            return language_tag(name)
    return SIMPLIFIED


def language_of(request: Request[Any, Any, Any]) -> str:
    chosen = request.cookies.get(COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return from_accept_language(request.headers.get("accept-language", ""))


def speaks(request: Request[Any, Any, Any]) -> Translations:
    """The reader's catalogue (timeline entries rendered from stored events, for instance)."""
    return translations_for(language_of(request))


@contextlib.contextmanager
def speaking(language: str) -> Iterator[Translations]:
    """While a page renders: the templates' gettext speaks `language`."""
    token = _current.set(language)
    try:
        yield translations_for(language)
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations_for(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations_for(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """One msgid, several meanings: `pgettext("status", "停用")` (Deactivated) is not the button's
    停用 (Deactivate); the catalogue holds each under its context."""
    return translations_for(_current.get()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return translations_for(_current.get()).npgettext(context, singular, plural, n)


def list_text(text: Any) -> Any:
    """The `zh` filter: list data as stored (简体), in Traditional characters for 繁體 readers."""
    if _current.get() == TRADITIONAL and isinstance(text, str) and text:
        return type(text)(traditional(text))  # Markup stays Markup
    return text


def data_lang() -> Markup:
    """` lang="zh-CN"` on an element holding list data in an English page (the names stay
    Chinese, and screen readers read them as Chinese); nothing in a Chinese page."""
    return Markup(' lang="zh-CN"') if _current.get() == ENGLISH else Markup("")


def list_span(text: Any, language: str | None = None) -> Markup:
    """The `zhspan` filter: list data inside running text — converted for 繁體, and in English
    wrapped in <span lang="zh-CN">; in the page's language, or in `language` when given (a
    route rendering before the page does)."""
    language = language or _current.get()
    if language == TRADITIONAL and isinstance(text, str) and text:
        text = type(text)(traditional(text))
    shown = escape(text)
    return Markup('<span lang="zh-CN">%s</span>') % shown if language == ENGLISH else shown


# A Chinese character: list data without one (a date, a number, a code) needs no lang mark.
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def data_text(text: str, language: str | None = None) -> Markup:
    """A parameter of a sentence that may be list data: marked as such (list_span) when it has
    Chinese in it, else just escaped."""
    return list_span(text, language) if HAN.search(text) else escape(text)


__all__ = ["CHINESE", "HTML_LANG", "SWITCH_LABELS", "language_of", "speaking"]
