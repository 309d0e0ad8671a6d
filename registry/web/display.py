"""The display mode a visitor chose (长辈版 or 标准版), kept in a cookie: read by rendering
(the `elder` template flag) and by the page cache (a page is cached per mode)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from registry.web.preferences import local_path

MODE_COOKIE = "display"
ELDER = "elder"
STANDARD = "standard"
MODES = frozenset({ELDER, STANDARD})


def display_mode(request: Request[Any, Any, Any]) -> str:
    """Elder or standard ("elder", "standard"); anything else in the cookie counts as standard."""
    return ELDER if request.cookies.get(MODE_COOKIE) == ELDER else STANDARD


def here(request: Request[Any, Any, Any]) -> str:
    """This page's path and query, for a link that should come back to it."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    return local_path(path + ("?" + query if query else ""))
