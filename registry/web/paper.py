"""What the printed pages share: QR codes drawn as inline SVG (their absolute links come from
registry.web.urls.absolute)."""

from __future__ import annotations

import io
from functools import lru_cache

import segno
from markupsafe import Markup


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
