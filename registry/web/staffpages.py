"""What every staff page shares: the signed-in user, the page number, and the page itself (a
fresh CSRF token bound to the session, the flash message, never cached). Used by the staff,
office, list, calendar and vocabulary routes, so it lives outside them: no route module imports
another (docs/architecture.md)."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.utils.scope.state import ScopeState

from registry.accounts import auth
from registry.accounts.models import StaffUser
from registry.infra.i18n import N_
from registry.web.language import speaks
from registry.web.rendering import csrf_cookie, render_page

Req = Request[Any, Any, Any]
MAX_PAGE = 10_000  # OFFSET is a bigint: a page number from the URL must not overflow it


def user_of(request: Req) -> StaffUser:
    user: StaffUser | None = request.scope.get("state", {}).get("staff_user")
    assert user is not None, "policy_guard runs first"
    return user


def page_number(page_no: int) -> int:
    """Every staff list's page number, as given in the URL, clamped to what can exist."""
    return max(1, min(page_no, MAX_PAGE))


# Messages a redirect passes in its URL (?msg=saved): keys, shown in the reader's language.
FLASH = {"saved": N_("已保存"), "unknown": N_("未知操作")}


def flash_message(request: Req) -> str:
    """The ?msg= of a redirect: a key of FLASH in the reader's language (other text as sent)."""
    msg = request.query_params.get("msg", "")[:200]
    return speaks(request).gettext(FLASH[msg]) if msg in FLASH else msg


def page(
    request: Req,
    template: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response[bytes]:
    user = request.scope.get("state", {}).get("staff_user")
    context.setdefault("user", user)
    token = ScopeState.from_scope(request.scope).csrf_token
    token = token if isinstance(token, str) else ""
    cookies = []
    bound = auth.csrf_token_for(request) if user is not None else None
    if bound and token != bound:  # a planted or lost csrftoken cookie: this session's again
        token = bound
        cookies.append(csrf_cookie(request, bound))
    context.setdefault("csrf_token", token)
    context.setdefault("flash", flash_message(request))
    html = render_page(request, template, **context)
    return Response(
        html.encode(),
        status_code=status,
        media_type=MediaType.HTML,
        headers={"cache-control": "no-store", **(headers or {})},
        cookies=cookies,
    )
