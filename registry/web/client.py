"""Who is asking, and how often: the client's address and the rate limits every worker shares
(filing, tracking, the complainant's rating)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException

from registry.infra import ratelimit
from registry.web.state import worker

Req = Request[Any, Any, Any]


class TooManyRequests(HTTPException):
    status_code = 429


def client_address(request: Req) -> str:
    return request.client.host if request.client else "unknown"


async def limit(
    request: Req, name: str, hits_window: tuple[int, int], conn: Any | None = None
) -> None:
    """Count this client's hit in `name`; 429 past the limit. Uses conn when given."""
    if conn is None:
        async with worker(request).pool.acquire() as own:
            return await limit(request, name, hits_window, own)
    retry = await ratelimit.hit(conn, f"{name}:{client_address(request)}", *hits_window)
    if retry is not None:
        raise TooManyRequests(headers={"retry-after": str(retry)})
