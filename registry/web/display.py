"""The display mode a visitor chose (长辈版 or 标准版), kept in a cookie: read by rendering
(the `elder` template flag) and by the page cache (a page is cached per mode)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

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
    """This page's path and the query parameters its route reads, for a link that should come
    back to it. Other parameters are dropped: a cached page is shared by every visitor, and one
    visitor's stray ?phone=… must not reach the next one's header links."""
    path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    query = request.scope.get("query_string", b"").decode("latin-1")
    if query:
        handler = request.scope.get("route_handler")
        reads = {
            getattr(field.kwarg_definition, "name", None) or name  # QueryParameter(name="q")
            for name, field in (handler.parsed_fn_signature.parameters.items() if handler else ())
        }
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k in reads]
        query = urlencode(kept)
    return local_path(path + ("?" + query if query else ""))
