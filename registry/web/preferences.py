"""What the header's switches share (长辈版 at /mode, the language at /lang): a preference
kept in a cookie for a year, and the way back to the page the switch was pressed on."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Redirect

from registry.infra.worker import base_of

YEAR = 365 * 24 * 3600
MAX_NEXT = 2000  # a longer "next" is no page of ours


def local_path(target: str | None) -> str:
    """A local path to go back to (with its query), or "/": never another site, never a
    scheme, never a protocol-relative or backslashed path."""
    if not target or len(target) > MAX_NEXT or not target.startswith("/"):
        return "/"
    if target.startswith("//") or "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    return target


def switch_back(
    request: Request[Any, Any, Any], key: str, value: str, next_: str | None
) -> Redirect:
    """Remember the preference and go back (303) to the page it was chosen on."""
    cookie = Cookie(
        key=key,
        value=value,
        path="/",
        max_age=YEAR,
        httponly=True,
        samesite="lax",
        secure=base_of(request.app).settings.secure_cookies,
    )
    return Redirect(local_path(next_), status_code=303, cookies=[cookie])
