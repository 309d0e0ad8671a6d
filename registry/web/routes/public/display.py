"""/mode: the switch between 长辈版 and 标准版, a plain link (no JavaScript): sets the cookie
and goes back to the page it came from (a local path only)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get
from litestar.params import QueryParameter

from registry.web.display import ELDER, MODE_COOKIE, STANDARD
from registry.web.preferences import switch_back


@get("/mode", name="public.mode", include_in_schema=False)
async def switch_mode(
    request: Request[Any, Any, Any],
    set_: Annotated[str | None, QueryParameter(name="set")] = None,
    next_: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Response[Any]:
    mode = ELDER if set_ == ELDER else STANDARD
    return switch_back(request, MODE_COOKIE, mode, next_)


router = Router(
    path="/",
    opt={"exclude_from_csrf": True, "policy": "public"},
    route_handlers=[switch_mode],
)
