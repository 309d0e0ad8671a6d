"""Timeline entries as HTML (the tracking page and the staff case page): the stored events'
sentences (complaints.events) rendered with HTML marks — the sentence escaped and translated,
a department's name as list data (|zhspan: Traditional for 繁體, lang="zh-CN" in English), and
what people wrote (a reason, a reply, a result, a comment, a note) in <span translate="no">.
E-mails and the JSON API keep the plain sentences (events.PLAIN)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from markupsafe import Markup, escape

from registry.web.language import data_text, language_of


class HtmlMarks:
    """events.Marks for a page in `language`."""

    def __init__(self, language: str) -> None:
        self.language = language

    def say(self, message: str, **values: str) -> str:
        return escape(message).format(**values)

    def data(self, text: str) -> str:
        return data_text(text, self.language)

    def words(self, text: str) -> str:
        return Markup('<span translate="no">%s</span>') % text


def marks(request: Request[Any, Any, Any]) -> HtmlMarks:
    """The marks for the reader's page."""
    return HtmlMarks(language_of(request))
