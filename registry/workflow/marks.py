"""How a timeline sentence or a notice shows its parts, for every kind of case: plain text
(e-mails, the API) or, supplied by the web layer, HTML (registry/web/timeline.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from registry.infra.i18n import Translations


class Marks(Protocol):
    """The sentence escaped, list data marked as list data, people's own words translate="no"
    (in HTML); each part as it is (plain)."""

    def say(self, message: str, **values: str) -> str: ...  # a translated sentence, filled

    def data(self, text: str) -> str: ...  # list data: a department's name

    def words(self, text: str) -> str: ...  # what a person wrote: never translated


class Plain:
    """Plain text: the sentence filled in, every part as it is."""

    def say(self, message: str, **values: str) -> str:
        return message.format(**values)

    def data(self, text: str) -> str:
        return text

    def words(self, text: str) -> str:
        return text


PLAIN = Plain()

# One kind of entry: (translations, parameters, the person's own words, marks) -> the sentence.
Sentence = Callable[[Translations, Mapping[str, Any], str, Marks], str]
