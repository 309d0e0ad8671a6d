"""/mode: the switch between 长辈版 and 标准版, a plain link (no JavaScript): sets the cookie
and goes back to the page it came from (a local path only)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get
from litestar.datastructures import Cookie
from litestar.params import QueryParameter
from litestar.response import Redirect

from registry.web.display import ELDER, MODE_COOKIE, STANDARD, safe_next
from registry.web.state import worker

YEAR = 365 * 24 * 3600


@get("/mode", name="public.mode", include_in_schema=False)
async def switch_mode(
    request: Request[Any, Any, Any],
    set_: Annotated[str | None, QueryParameter(name="set")] = None,
    next_: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Response[Any]:
    mode = ELDER if set_ == ELDER else STANDARD
    cookie = Cookie(
        key=MODE_COOKIE,
        value=mode,
        path="/",
        max_age=YEAR,
        httponly=True,
        samesite="lax",
        secure=worker(request).settings.secure_cookies,
    )
    return Redirect(safe_next(next_), status_code=303, cookies=[cookie])


router = Router(
    path="/",
    opt={"exclude_from_csrf": True, "policy": "public"},
    route_handlers=[switch_mode],
)
