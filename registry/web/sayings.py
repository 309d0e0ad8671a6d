"""The checker's words as HTML: the verdict page's next step and explanation, and the matter
guide's steps, rendered from their reason codes (checker.reasons) in the reader's language,
with every parameter — names, matters, bases, replacement text: list data — shown as list data
is (|zhspan: in Traditional characters for 繁體, marked lang="zh-CN" in English). The sentence
itself is escaped. The checker stays pure and the JSON API's words (checker.reasons.render)
stay as they are: this module only reads the checker's catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

from registry.checker.guide import GuideItem
from registry.checker.reasons import ITEMS, MESSAGES, Param, Reason, Speaker, shown, speaker
from registry.checker.verdicts import Verdict
from registry.web.language import data_text as _data


def _value(s: Speaker, key: str, value: Param) -> Markup:
    if isinstance(value, list):
        if not value:
            return escape(s.value(key, value))  # "清单列明的事项": the interface's words
        left, _, right = s.message("quote").partition("{}")
        quoted = [escape(left) + _data(v) + escape(right) for v in value]
        return escape(s.message("join.list")).join(quoted)
    if isinstance(value, int):
        return escape(str(value))
    return _data(value)


def _fill(s: Speaker, code: str, params: dict[str, Any]) -> Markup:
    count = params.get("count")
    text = s.message(code, count if isinstance(count, int) else None)
    values = {k: v if isinstance(v, Markup) else _value(s, k, v) for k, v in params.items()}
    try:
        return escape(text).format_map(values)
    except (KeyError, IndexError, ValueError):  # a translation with a broken placeholder
        entry = MESSAGES[code]
        return escape(entry if isinstance(entry, str) else entry[0]).format_map(values)


def _say(s: Speaker, reason: Reason) -> Markup:
    if not reason.items:
        return _fill(s, reason.code, reason.params)
    item, sep = ITEMS[reason.code]
    parts = escape(s.message(sep)).join(_fill(s, item, p) for p in reason.items)
    return _fill(s, reason.code, {**reason.params, "items": parts})


def said(reasons: Sequence[Reason], translations: Any = None) -> Markup:
    """The sentence(s) the reasons say, as HTML, in the language of `translations`."""
    s = speaker(translations or None)
    out = Markup("")
    for r in reasons:
        part = _say(s, r)
        if out and out[-1] in ".:;!?)" and part[:1] not in ("", " "):  # English sentences
            out += " "
        out += part
    return out


def verdict_words(verdict: Verdict, translations: Any = None) -> tuple[Markup, Markup]:
    """(next step, explanation) as the verdict page shows them (Verdict.words), as HTML."""
    if verdict.reasons or verdict.next_step_reasons:
        step = verdict.next_step_reasons
        explained = said(shown(verdict.reasons, step), translations)
        return said(step, translations), Markup(explained.strip())
    plain_step, plain_said = verdict.words(translations)  # a verdict with Chinese words only
    return _shown(plain_step), _shown(plain_said)


def _shown(text: str) -> Markup:
    return _data(text) if text else Markup("")


def item_step(item: GuideItem, translations: Any = None) -> Markup:
    """A matter guide item's next step (GuideItem.step), as HTML."""
    if not item.next_step_reasons:
        return _shown(item.next_step)
    return said(item.next_step_reasons, translations)
