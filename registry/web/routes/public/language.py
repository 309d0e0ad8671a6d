"""/lang: the header's switch between 简体, 繁體 and English, a plain link (no JavaScript):
sets the cookie and goes back to the same page and query (a local path only)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get
from litestar.datastructures import Cookie
from litestar.params import QueryParameter
from litestar.response import Redirect

from registry.infra.i18n import LANGUAGES, SIMPLIFIED
from registry.web.language import COOKIE, COOKIE_AGE, local_path
from registry.web.state import worker


@get("/lang", name="public.lang", include_in_schema=False)
async def switch_language(
    request: Request[Any, Any, Any],
    set_: Annotated[str | None, QueryParameter(name="set")] = None,
    next_: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Response[Any]:
    chosen = set_ if set_ in LANGUAGES else SIMPLIFIED
    cookie = Cookie(
        key=COOKIE,
        value=chosen,
        path="/",
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="lax",
        secure=worker(request).settings.secure_cookies,
    )
    return Redirect(local_path(next_), status_code=303, cookies=[cookie])


router = Router(
    path="/",
    opt={"exclude_from_csrf": True, "policy": "public"},
    route_handlers=[switch_language],
)
