"""/lang: the header's switch between 简体, 繁體 and English, a plain link (no JavaScript):
sets the cookie and goes back to the same page and query (a local path only)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get
from litestar.params import QueryParameter

from registry.infra.i18n import LANGUAGES, SIMPLIFIED
from registry.web.language import COOKIE
from registry.web.preferences import switch_back


@get("/lang", name="public.lang", include_in_schema=False)
async def switch_language(
    request: Request[Any, Any, Any],
    set_: Annotated[str | None, QueryParameter(name="set")] = None,
    next_: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Response[Any]:
    chosen = set_ if set_ in LANGUAGES else SIMPLIFIED
    return switch_back(request, COOKIE, chosen, next_)


router = Router(
    path="/",
    opt={"exclude_from_csrf": True, "policy": "public"},
    route_handlers=[switch_language],
)
