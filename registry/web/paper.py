"""What the printed pages share: QR codes drawn as inline SVG (their absolute links come from
registry.web.urls.absolute), and where an item stands today (the 窗口出示卡 says it plainly)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from functools import lru_cache

import segno
from markupsafe import Markup

from registry.catalogue.models import Status, Version


@lru_cache(maxsize=512)
def qr_svg(text: str, label: str = "二维码") -> Markup:
    """`text` as a QR code: an inline SVG (no XML declaration, sized by CSS), with a title
    for screen readers. Medium error correction: a creased or smudged print still reads."""
    code = segno.make(text, error="m", micro=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        svgclass="qr",
        lineclass=None,
        omitsize=True,
        border=4,
        title=label,
        nl=False,
    )
    return Markup(out.getvalue().decode("utf-8"))


@dataclass(frozen=True)
class Standing:
    """Where an item stands today, for the 窗口出示卡: `kind` is "in_force" (today's version),
    "not_yet" (only a later version: not on today's list) or "ended" (off the list since
    `since`); `since` is the day today's standing began, `before` the status until then, and
    `coming` a change already scheduled (its day and status)."""

    kind: str
    since: dt.date | None = None
    before: Status | None = None
    coming: tuple[dt.date, Status] | None = None


def standing(history: list[Version], today: dt.date) -> Standing:
    live = sorted((v for v in history if v.superseded_at is None), key=lambda v: v.valid_from)
    now = [v for v in live if v.valid_from <= today and (v.valid_to is None or v.valid_to > today)]
    later = [v for v in live if v.valid_from > today]
    coming = (later[0].valid_from, later[0].status) if later else None
    if now:
        earlier = [v for v in live if v.valid_from < now[-1].valid_from]
        before = earlier[-1].status if earlier else None
        return Standing("in_force", now[-1].valid_from, before, coming)
    if later:
        return Standing("not_yet", later[0].valid_from, None, coming)
    ended = [v.valid_to for v in live if v.valid_to is not None]
    return Standing("ended", max(ended) if ended else None, live[-1].status if live else None)
