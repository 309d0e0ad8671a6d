"""The matter guide: "办理 X 时：可以要求 …（保留）；不得要求 …（已取消，改为 …）". Pure: reads a
checker index (nameindex.Index, which decide re-exports), which it only needs
as a type: imported from nameindex, not checker, since checker imports this module (no cycles)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from registry.catalogue.models import Status
from registry.checker import matters as mt
from registry.checker import wording as w
from registry.checker.reasons import Reason, render

if TYPE_CHECKING:
    from registry.checker.nameindex import Index


class GuideItem(msgspec.Struct, kw_only=True):
    code: str
    name: str
    status: Status
    may_require: bool
    url: str  # the verdict page for (this item, this matter)
    next_step_reasons: list[Reason] = []  # what to do, as data (checker.reasons)
    next_step: str = ""  # those words in Chinese, filled by MatterGuide.spoken()

    def step(self, translations: Any = None) -> str:
        """The next step in the reader's language (a template without one passes Undefined)."""
        if not self.next_step_reasons:
            return self.next_step
        return render(self.next_step_reasons, translations or None)


class MatterGuide(msgspec.Struct, kw_only=True):
    """办理 X 时：可以要求 …（保留）；不得要求 …（已取消，改为 …）"""

    matter: str
    domain: str
    url: str
    required: list[GuideItem]
    not_required: list[GuideItem]

    def spoken(self, translations: Any = None) -> MatterGuide:
        """This guide with each item's next_step rendered from its reasons."""

        def said(items: list[GuideItem]) -> list[GuideItem]:
            return [
                msgspec.structs.replace(i, next_step=i.step(translations))
                if i.next_step_reasons
                else i
                for i in items
            ]

        return msgspec.structs.replace(
            self, required=said(self.required), not_required=said(self.not_required)
        )


def guide(text: str, index: Index, limit: int = 20) -> list[MatterGuide]:
    """The official matters the words mean (everyday words through the thesaurus), best
    first; every matter on the list when text is blank."""
    on = index.on.isoformat()
    if not mt.normalise(text):
        return [_entry(m, index, on) for m in sorted(index.matter_items)]
    reading = index.read(text)
    found = index.catalogue.find(reading, limit=limit)
    sure = [m for m, s in found if s >= mt.CONFIDENT]  # the matters meant, if any are sure
    return [_entry(m, index, on) for m in sure or [m for m, s in found if s >= mt.LOOSE]]


def matter_guide(matter: str, index: Index) -> MatterGuide | None:
    """One official matter (as the list writes it, or any spelling that normalises to it)."""
    norm = mt.normalise(matter)
    if norm not in index.matter_items:
        return None
    return _entry(norm, index, index.on.isoformat())


def _entry(norm: str, index: Index, on: str) -> MatterGuide:
    text = index.matter_text[norm]
    required: list[GuideItem] = []
    not_required: list[GuideItem] = []
    domains: list[str] = []
    for n in dict.fromkeys(n for m in _wordings(norm, index) for n in index.matter_items[m]):
        cert = index.items[n]
        domains.append(cert.domain)
        item = GuideItem(
            code=cert.code,
            name=cert.name,
            status=cert.status,
            may_require=cert.status is Status.RETAINED,
            next_step_reasons=_step(n, index),
            url=w.check_url(cert.name, text),
        )
        (required if item.may_require else not_required).append(item)
    # The most frequent field; a tie goes to the first in the list, never to set order.
    domain = max(dict.fromkeys(domains), key=domains.count) if domains else ""
    return MatterGuide(
        matter=text,
        domain=domain,
        url=w.matter_url(text),
        required=required,
        not_required=not_required,
    )


def _step(n: int, index: Index) -> list[Reason]:
    """Item n's next step, worked out once per index (the verdicts share it)."""
    return index.memo("step", n, lambda: w.next_step(index.cert(n)))


def _wordings(norm: str, index: Index) -> list[str]:
    """The matter and the other ways the list words it (新生儿出生登记 and 新生儿出生登记（落户）):
    a page that left one out would wrongly say nothing may be demanded for it."""
    same = mt.Reading(norm, norm, (), True)
    # Nearly the same words: 出生登记 alone is another (broader) matter.
    longer = [m for m, s in index.catalogue.find(same, limit=20) if s >= 0.95 and m != norm]
    return [norm, *(m for m in longer if 10 * min(len(m), len(norm)) >= 7 * max(len(m), len(norm)))]
