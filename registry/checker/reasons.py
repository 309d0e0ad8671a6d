"""What the checker says, as data: a reason code with its parameters. This module holds the one
catalogue of codes (each a message id: the Simplified Chinese sentence with {placeholders},
marked for Babel) and the renderer that turns reasons into a sentence in the reader's language
through a gettext-compatible object (Simplified Chinese, the message ids themselves, without
one). Lists are joined and counts made plural here, at read time. Pure.

Extract with `pybabel extract -k N_ -k Nn_:1,2 registry/checker/reasons.py`."""

from __future__ import annotations

from collections.abc import Sequence
from gettext import NullTranslations
from typing import Protocol
from weakref import WeakKeyDictionary

import msgspec

Param = str | int | list[str]


class Reason(msgspec.Struct, frozen=True, omit_defaults=True, gc=False):
    """One part of what the checker says. `items`: repeated parts of one sentence (one per
    certificate), each rendered by the code's item message and joined into {items}.
    Untracked by the garbage collector (it holds strings only, so it can be in no cycle):
    every answer makes several, and tracked ones made collections a fifth of a new answer."""

    code: str
    params: dict[str, Param] = {}
    items: list[dict[str, Param]] = []


class Translations(Protocol):
    def gettext(self, message: str, /) -> str: ...
    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


def N_(message: str) -> str:  # gettext's marker name, which Babel knows
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    return singular, plural


# Opening words the verdict page's headline already says: the page leaves them out.
LEADS = frozenset({"lead.may", "lead.may_not", "lead.depends"})

MESSAGES: dict[str, str | tuple[str, str]] = {
    "lead.may": N_("可以要求："),
    "lead.may_not": N_("不得要求："),
    "lead.depends": N_("要看您办什么事："),
    # retained
    "retained": N_("办理“{matter}”时，窗口可以要求您提供“{name}”，它在保留清单上。"),
    "retained.basis": N_(
        "办理“{matter}”时，窗口可以要求您提供“{name}”，它在保留清单上（依据：{basis}）。"
    ),
    "retained.lookalikes": N_("但{names}已经取消，不得要求。"),
    # abolished
    "abolished": N_("“{name}”已经取消。"),
    "abolished.since": N_("“{name}”自{since}起已经取消。"),
    "abolished.doc": N_("“{name}”已经取消（{doc}）。"),
    "abolished.since_doc": N_("“{name}”自{since}起已经取消（{doc}）。"),
    "abolished.instead": N_("取消后的办法：{replacement}。"),
    "abolished.all": Nn_(
        "清单上名为“{name}”一类的证明共有 {count} 项，都已取消，办什么事都不得索要。",
        "清单上名为“{name}”一类的证明共有 {count} 项，都已取消，办什么事都不得索要。",
    ),
    # retained, but for other matters
    "other_matter": N_("“{name}”虽在保留清单上，但只能在办理{matters}时索要，办其他事不得索要。"),
    "other_matter.asked": N_(
        "“{name}”虽在保留清单上，但只能在办理{matters}时索要，办理“{asked}”不得索要。"
    ),
    "other_matter.many": N_("{items}。办其他事，这些证明都不得索要。"),
    "other_matter.many_asked": N_("{items}。办理“{asked}”，这些证明都不得索要。"),
    "other_matter.only_for": N_("“{name}”只能在办理{matters}时索要"),
    # the answer depends on the matter
    "needs_matter.one": N_(
        "“{name}”只能在办理{matters}时索要，办其他事不得索要。请点选您要办的事。"
    ),
    "needs_matter.one_asked": N_(
        "“{name}”只能在办理{matters}时索要。无法确定“{asked}”是不是其中一项，请点选您要办的事。"
    ),
    "needs_matter.several": N_(
        "叫“{name}”的证明有几种，有的保留、有的已经取消。请点选您要办的事。"
    ),
    "matter_as_name": N_(
        "“{name}”像是要办的事，不是证明名称。办这件事时，下面这些证明有的可以要求、有的不得要求："
    ),
    "matter_as_name.none": N_(
        "“{name}”像是要办的事，不是证明名称。清单上没有为这件事保留的证明；"
        "办这件事时，窗口不得要求清单之外的证明。"
    ),
    # not on the list
    "unlisted": N_("“{name}”不在证明事项清单上，清单之外一律不得索要。"),
    "unlisted.ambiguous": N_(
        "清单上没有与“{name}”完全一致的证明，无法确定是哪一项，"
        "在确认之前不得索要。请从下面的候选中点选准确名称再查。"
    ),
    "unlisted.sounds_like": N_(
        "清单上没有“{name}”。它读起来像下面的证明，请点选准确名称再查；在确认之前，不得索要。"
    ),
    "out_of_scope": N_("“{name}”是证件，不是证明。"),
    "licence.rule": N_("{rule}"),  # the document's own rule, as the vocabulary words it
    # next steps
    "step.provide": N_("按要求提供即可：这个证明由{issuer}开具。"),
    "step.provide_any": N_("按要求提供即可：这个证明由开具单位开具。"),
    "step.abolished_outright": N_("不用再开这个证明，窗口不能再要。"),
    "step.pledge": N_("签一份告知承诺书即可，不用再开证明。"),
    "step.written_pledge": N_("写一份书面承诺（声明）即可，不用再开证明。"),
    "step.verified_between": N_("窗口应自己向有关部门核实，不能让您跑。"),
    "step.data_sharing": N_("窗口应通过部门间的信息共享自己查，不用您开证明。"),
    "step.existing_licence": N_("出示您已有的证件即可，不用再开证明。"),
    "step.issuer_moved": N_("原来开这个证明的单位不再开；确需的，改由别的单位出具或查询。"),
    "step.abolished": N_("不用再开这个证明：窗口应按取消后的办法办理。"),
    "step.details": N_("具体办法：{details}。"),
    "step.unlisted": N_("不用去开：清单之外的证明一律不得索要。窗口坚持要的，可以投诉。"),
    "step.other_matter": N_("办这件事不用提供这个证明。窗口坚持要的，可以投诉。"),
    "step.choose": N_("点一下您要办的事，就能看到能不能要。"),
}

# Codes with repeated parts: (the message of one part, the separator between parts).
ITEMS = {
    "other_matter.many": ("other_matter.only_for", "join.clauses"),
    "other_matter.many_asked": ("other_matter.only_for", "join.clauses"),
}
# How list parameters are written: each item quoted, joined; an empty list of matters.
PIECES = {
    "join.clauses": N_("；"),
    "join.list": N_("、"),
    "quote": N_("“{}”"),
    "empty.matters": N_("清单列明的事项"),
}


class Speaker:
    """The messages in one language, looked up once each (gettext per call costs more than
    the formatting)."""

    def __init__(self, translations: Translations) -> None:
        self.t = translations
        self.said: dict[str, str] = {}
        self.plurals: dict[tuple[str, int], str] = {}  # by (code, count)

    def message(self, code: str, count: int | None = None) -> str:
        found = self.said.get(code)
        if found is not None:
            return found
        entry = MESSAGES.get(code) or PIECES[code]
        if isinstance(entry, tuple):  # plural: the form depends on the count
            n = count if count is not None else 1
            key = (code, n)
            found = self.plurals.get(key)
            if found is None:
                found = self.t.ngettext(entry[0], entry[1], n)
                if len(self.plurals) < 1024:
                    self.plurals[key] = found
            return found
        found = self.said[code] = self.t.gettext(entry)
        return found

    def value(self, key: str, value: Param) -> str:
        if isinstance(value, list):
            if not value:
                empty = f"empty.{key}"
                return self.message(empty) if empty in PIECES else ""
            left, _, right = self.message("quote").partition("{}")
            return self.message("join.list").join([left + v + right for v in value])
        return str(value)

    def fill(self, code: str, params: dict[str, Param]) -> str:
        if not params:
            return self.message(code)
        count = params.get("count")
        text = self.message(code, count if isinstance(count, int) else None)
        values = params  # strings as they are: most reasons have nothing else
        for v in params.values():
            if type(v) is not str:
                values = {k: self.value(k, v) for k, v in params.items()}
                break
        try:
            return text.format_map(values)
        except (KeyError, IndexError, ValueError):  # a translation with a broken placeholder
            entry = MESSAGES[code]
            return (entry if isinstance(entry, str) else entry[0]).format_map(values)

    def say(self, reason: Reason) -> str:
        if not reason.items:
            return self.fill(reason.code, reason.params)
        item, sep = ITEMS[reason.code]
        parts = self.message(sep).join(self.fill(item, p) for p in reason.items)
        return self.fill(reason.code, {**reason.params, "items": parts})


ZH = Speaker(NullTranslations())
_speakers: WeakKeyDictionary[object, Speaker] = WeakKeyDictionary()


def speaker(translations: Translations | None = None) -> Speaker:
    if translations is None:
        return ZH
    found = _speakers.get(translations)
    if found is None:
        found = _speakers[translations] = Speaker(translations)
    return found


def render(reasons: Sequence[Reason], translations: Translations | None = None) -> str:
    """The sentence(s) the reasons say, in the language of `translations` (Chinese without).
    Written flat: a new answer renders several parts, and calls cost more than formatting."""
    s = ZH if translations is None else speaker(translations)
    said = s.said
    parts = []
    for r in reasons:
        text = said.get(r.code)
        params = r.params
        if text is None or r.items:  # not looked up yet, plural, or repeated parts
            parts.append(s.say(r))
        elif not params:
            parts.append(text)
        else:
            for v in params.values():
                if type(v) is not str:  # lists and counts: written out by Speaker.value
                    parts.append(s.say(r))
                    break
            else:
                try:
                    parts.append(text.format_map(params))
                except (KeyError, IndexError, ValueError):  # a broken translation
                    parts.append(s.say(r))
    return "".join(parts)


def shown(reasons: Sequence[Reason], step: Sequence[Reason]) -> list[Reason]:
    """The explanation as the verdict page shows it: without the lead its headline already
    says, and without closing parts that repeat the next step shown above it."""
    said = [r for r in reasons if r.code not in LEADS]
    if step and said[-len(step) :] == list(step):
        return said[: -len(step)]
    return said
