"""Two ASGI middlewares for the way in: the allowed-hosts check, and the answer cache of
/api/v1/check behind it. Both run inside Litestar, so every response, a cached answer included,
passes the before_send hooks (security headers) and errors get the one error shape."""

from __future__ import annotations

from urllib.parse import parse_qsl

from litestar._kwargs.extractors import create_query_default_dict
from litestar._parsers import parse_query_string
from litestar.datastructures.url import URL
from litestar.exceptions import HTTPException
from litestar.middleware.allowed_hosts import AllowedHostsMiddleware
from litestar.types import ASGIApp, HTTPResponseStartEvent, Receive, Scope, Send

from registry.errors import InvalidInput
from registry.lookup import Lookup
from registry.views import parse_question

BAD_HOST = "请求的主机名（Host）不在本站允许的范围内"
QUESTION = frozenset({"name", "matter", "department", "on"})


class HostGate(AllowedHostsMiddleware):
    """Litestar's allowed-hosts middleware (its own patterns, built from AllowedHostsConfig),
    placed first in the app's middleware so it runs before the answer cache and every other
    middleware. A refused host is raised for errors.handle, instead of Litestar's bare
    {"message": ...} body."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        allowed = self.allowed_hosts_regex
        if allowed is not None:
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
            if not (host.split(":")[0] and allowed.fullmatch(host)):
                redirect = self.redirect_domains
                if redirect is None or not redirect.fullmatch(host):
                    raise HTTPException(status_code=400, detail=BAD_HOST)
                await super().__call__(scope, receive, send)  # Litestar's www. redirect
                return
        await self.app(scope, receive, send)


class AnswerCache:
    """On /api/v1/check only (route middleware, inside the app's): a question asked before is
    answered with the bytes and headers the handler sent then, without running the handler.
    The key is the parsed question (registry.lookup.Lookup.answer_key), so other parameters and
    their order change nothing; a question the handler would refuse is left to it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "GET":
            lookup: Lookup = scope["app"].state.lookup
            key = _key(scope["query_string"])
            body = lookup.answers.get(key) if key else None
            if body is not None:
                length = str(len(body)).encode()
                headers = [(b"content-type", b"application/json"), (b"content-length", length)]
                start: HTTPResponseStartEvent = {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": headers,
                }
                await send(start)
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
        await self.app(scope, receive, send)


def _key(query_string: bytes) -> bytes | None:
    """Parsed as Litestar parses it; None when a parameter is given twice (which of the two
    Litestar passes on is its business) or the question is not a valid one."""
    given: dict[str, str] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name in QUESTION:
            if name in given:
                return None
            given[name] = value
    try:
        question, day = parse_question(
            given.get("name"), given.get("matter"), given.get("department"), given.get("on")
        )
    except InvalidInput:
        return None
    return Lookup.answer_key(question, day)


# From here a query string is long: no form or link of ours makes one (~10 KB at most).
LONG_QUERY = 4096


def forget_parsed_queries() -> None:
    """Litestar memoizes parsed query strings and URLs (1,024 and 128 of them, lru_cache):
    kept, 60 KB of junk each would cost a worker ~150 MB. Called after a request that
    carried a long query string; the memos only save a re-parse."""
    parse_query_string.cache_clear()
    create_query_default_dict.cache_clear()
    URL._new.__func__.cache_clear()  # type: ignore[attr-defined]
