"""The way in. HostGate: Litestar's allowed-hosts check as the app's first middleware, answering
a refused host in the one error shape. AnswerDoor: repeat /api/v1/check questions answered
before routing, by the same rules the middleware would apply first (allowed hosts, no control
characters) and through the app's before_send hooks (security headers). PageDoor: the same for
public pages already in the page cache."""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar._kwargs.extractors import create_query_default_dict
from litestar._parsers import parse_qsl, parse_query_string
from litestar.datastructures.url import URL
from litestar.exceptions import HTTPException
from litestar.middleware.allowed_hosts import AllowedHostsMiddleware
from litestar.types import Message, Receive, Scope, Send

from registry.checker.decide import Question, decide
from registry.checker.lookup import Lookup
from registry.infra import clock
from registry.infra.cache import BoundedCache
from registry.infra.textclean import is_clean
from registry.web.display import display_mode
from registry.web.errors import InvalidInput
from registry.web.language import language_of
from registry.web.pagecache import HEADERS, door_key
from registry.web.state import Worker
from registry.web.views import parse_question

CHECK_PATH = "/api/v1/check"
BAD_HOST = "请求的主机名（Host）不在本站允许的范围内"
# The question's parameters are parse_question's arguments (the routes' query parameters).
QUESTION = frozenset(inspect.signature(parse_question).parameters)


class HostGate(AllowedHostsMiddleware):
    """Litestar's allowed-hosts middleware (its own patterns, built from AllowedHostsConfig),
    placed first in the app's middleware. A refused host is raised for errors.handle instead
    of Litestar's bare {"message": ...} body."""

    def admits(self, scope: Scope) -> bool:
        allowed = self.allowed_hosts_regex
        if allowed is None:  # "*"
            return True
        host = _host(scope)
        return bool(host.split(":")[0] and allowed.fullmatch(host))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.admits(scope):
            await self.app(scope, receive, send)
            return
        redirect = self.redirect_domains
        if redirect is None or not redirect.fullmatch(_host(scope)):
            raise HTTPException(status_code=400, detail=BAD_HOST)
        await super().__call__(scope, receive, send)  # Litestar's www. redirect


def _host(scope: Scope) -> str:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")


class AnswerDoor:
    """Most people ask about a few certificates: a question asked before is answered before
    routing, with the bytes and headers the handler sent then (15 us in-process, against 38
    through routing and the middleware). Only when the app's middleware would let the request
    through: the host is allowed (HostGate's test) and no parameter has a control character
    (textclean's rule, as InputGuard applies it). Anything else, and every first asking, goes
    through Litestar.
    The key is the parsed question (Lookup.answer_key): other parameters change nothing."""

    def __init__(self, app: Litestar, worker: Worker, hosts: HostGate | None) -> None:
        self.app, self.worker, self.hosts = app, worker, hosts

    async def answer(self, scope: Any, send: Send) -> bool:
        """True if it answered (a GET, HEAD made GET, to /api/v1/check)."""
        if scope["method"] != "GET" or (self.hosts is not None and not self.hosts.admits(scope)):
            return False
        asked = _asked(scope["query_string"])
        if asked is None:
            return False
        lookup = self.worker.lookup  # read each time: tests may put another in its place
        question, on = asked
        day = on or clock.today()  # once: the key and the index are about the same day
        key = Lookup.answer_key(question, day)
        body = lookup.answers.get(key)
        if body is None:
            # A new question about a list already in memory: decide here (the handler would
            # do the same, after ~40 us of routing and middleware).
            index = lookup.ready(day)
            if index is None:
                return False
            generation = lookup.generation
            body = msgspec.json.encode(decide(question, index).spoken())
            lookup.remember(key, body, generation)
        length = str(len(body)).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", length)]
        await _send(self.app, scope, send, 200, headers, body)
        return True


class PageDoor:
    """A public page served before routing when its route has already served it for exactly
    this path, query string, mode and language today (PageCache.doors): the bytes, ETag and
    headers the route sends, 304 to a matching If-None-Match. Litestar's per-request path
    (routing, the middleware stack, the handler's parameters) is most of a cached page's cost.
    Only when the middleware would let the request through: the host is allowed, and the path
    and query string are the ones the input guard already let through for that page. Anything
    else, and every first visit, goes through Litestar."""

    def __init__(self, app: Litestar, worker: Worker, hosts: HostGate | None) -> None:
        self.app, self.worker, self.hosts = app, worker, hosts

    async def answer(self, scope: Any, send: Send) -> bool:
        """True if it answered (a GET, HEAD made GET, of a page in PageCache.doors)."""
        if scope["method"] != "GET" or (self.hosts is not None and not self.hosts.admits(scope)):
            return False
        request: Request[Any, Any, Any] = Request(scope)
        key = door_key(scope, display_mode(request), language_of(request))
        hit = self.worker.pages.doors.get(key)
        if hit is None:
            return False
        etag, body = hit
        headers = [(b"etag", etag.encode())]
        headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
        if request.headers.get("if-none-match") == etag:
            status, body = 304, b""  # Litestar sends a 304 with no content headers
        else:
            status = 200
            headers.append((b"content-type", b"text/html; charset=utf-8"))
            headers.append((b"content-length", str(len(body)).encode()))
        await _send(self.app, scope, send, status, headers, body)
        return True


async def _send(
    app: Litestar, scope: Any, send: Send, status: int, headers: list[Any], body: bytes
) -> None:
    """A response as Litestar would send it: through the app's before_send hooks."""
    scope["app"] = scope["litestar_app"] = app  # as Litestar does: the hooks use it
    start: Message = {"type": "http.response.start", "status": status, "headers": headers}
    end: Message = {"type": "http.response.body", "body": body, "more_body": False}
    for message in (start, end):
        for hook in app.before_send:
            await hook(message, scope)
        await send(message)


Asked = tuple[Question, dt.date | None]
NOT_A_QUESTION = (Question(name=""), None)  # remembered as "leave it to the handler"
# Parsing a query string costs ~10 us, more than the rest of a cached answer: the parses of
# short ones are remembered (raw -> parsed question; at most 1 MB, shared by a worker's apps).
_parsed: BoundedCache[Asked] = BoundedCache(
    2**20, 4096, lambda asked: 3 * len(asked[0].name) + 200, max_key=1024
)


def _asked(query_string: bytes) -> Asked | None:
    asked = _parsed.get(query_string)
    if asked is None:
        asked = _parse(query_string) or NOT_A_QUESTION
        _parsed.put(query_string, asked, _parsed.generation)
    return None if asked is NOT_A_QUESTION else asked


def _parse(query_string: bytes) -> Asked | None:
    """Split by Litestar's own parser, then parse_question, as the route gets it; None when a
    parameter is given twice (which of the two Litestar passes on is its business), when any
    parameter has a control character (the input guard refuses it), or when the question is
    not a valid one."""
    given: dict[str, str] = {}
    for name, value in parse_qsl(query_string, "&"):
        if not (is_clean(name) and is_clean(value)):
            return None
        if name in QUESTION:
            if name in given:
                return None
            given[name] = value
    try:
        return parse_question(**given)
    except InvalidInput:
        return None


# From here a query string is long: no form or link of ours makes one (~10 KB at most).
LONG_QUERY = 4096


def forget_parsed_queries() -> None:
    """Litestar memoizes parsed query strings and URLs (1,024 and 128 of them, lru_cache):
    kept, 60 KB of junk each would cost a worker ~150 MB. Called after a request that
    carried a long query string; the memos only save a re-parse."""
    parse_query_string.cache_clear()
    create_query_default_dict.cache_clear()
    URL._new.__func__.cache_clear()  # type: ignore[attr-defined]
