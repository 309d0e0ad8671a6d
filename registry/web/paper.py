"""What the printed pages share: absolute links for paper, and QR codes drawn as inline SVG."""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

import segno
from litestar import Request
from markupsafe import Markup

from registry.web.state import worker


def public_base(request: Request[Any, Any, Any]) -> str:
    """The site's address as a reader elsewhere types it: the configured public URL
    (REGISTRY_PUBLIC_URL), else this request's host, https under REGISTRY_HTTPS."""
    settings = worker(request).settings
    if settings.public_url:
        return str(settings.public_url).rstrip("/")
    base = str(request.base_url).rstrip("/")
    if settings.secure_cookies and base.startswith("http://"):
        base = "https://" + base.removeprefix("http://")
    return base


def absolute(request: Request[Any, Any, Any], path: str) -> str:
    return public_base(request) + path


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
