"""The one boundary for text from outside: the path, every query value and every form or JSON
body is held to registry.infra.textclean's rule before any handler (or PostgreSQL) sees it.

A refused path or query value is a 400 naming the parameter; a refused JSON field a 422
naming it ("contact.email"), in the one error shape (errors.handle renders both). A form whose
handler declares opt={RESHOWS_FORM: True} is let through with the refused characters removed
and the fields listed in refused(request), so that handler re-renders its form with 422 and
everything else typed kept; any other form is refused with a 422 page naming the field."""

from __future__ import annotations

import collections
from typing import Any
from urllib.parse import parse_qsl, urlencode

import msgspec
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_
from registry.infra.textclean import MESSAGE, bad_char, is_clean, strip_bad
from registry.web.errors import InvalidInput

RESHOWS_FORM = "reshows_form"
STATE_KEY = "registry.refused_input"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# ComplaintIn is two levels deep; anything far deeper is an attack on the decoder (L5).
MAX_JSON_DEPTH = 32
TOO_DEEP = "JSON 嵌套层数过多"
# The refusal as pages show it (errors.handle translates a field's message by its words):
# marked here for the catalogues, since textclean (infra) says it in Chinese for the API.
REFUSED = N_("含有不可见的控制字符，请删除后重试")
assert REFUSED == MESSAGE


def refused(request: Any) -> list[FieldError]:
    """The form fields this request had refused characters in (already removed from them)."""
    found: list[FieldError] = request.scope.get("state", {}).get(STATE_KEY, [])
    return list(found)


def summary(errors: list[FieldError]) -> str:
    """One line for pages that show a single notice rather than errors beside fields."""
    return "；".join(f"{e.field}：{e.message}" for e in errors)


class InputGuard:
    """ASGI middleware; it runs after routing, so path parameters are known by name."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            _check_path(scope)
            _check_query(scope)
            if scope.get("method") in BODY_METHODS:
                receive = await _check_body(scope, receive)
        await self.app(scope, receive, send)


def _check_path(scope: Scope) -> None:
    if is_clean(scope["path"]):
        return
    params = scope.get("path_params") or {}
    names = [k for k, v in params.items() if isinstance(v, str) and not is_clean(v)]
    raise InvalidInput([FieldError(n, MESSAGE) for n in names or ["path"]], status=400)


def _check_query(scope: Scope) -> None:
    # Parsed as Litestar parses it, so what is checked is what handlers get.
    pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    errors = _pair_errors(pairs)
    if errors:
        raise InvalidInput(errors, status=400)


def _pair_errors(pairs: list[tuple[str, str]]) -> list[FieldError]:
    errors: list[FieldError] = []
    for key, value in pairs:
        if bad_char(key) or bad_char(value):
            field = strip_bad(key) or "?"
            if all(e.field != field for e in errors):
                errors.append(FieldError(field, MESSAGE))
    return errors


async def _check_body(scope: Scope, receive: Receive) -> Receive:
    """Read the body (within the route's size limit), check it, and hand on a receive that
    replays it. A body over the limit is passed on untouched for Litestar to refuse (413)."""
    content_type = _header(scope, b"content-type").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        return receive  # uploads: the importer holds file contents to the rule
    handler = scope.get("route_handler")
    limit = None
    if isinstance(handler, HTTPRouteHandler):
        limit = handler.resolve_request_max_body_size()
    messages, body = await _read(scope, receive, limit)
    if body is None or not body:
        return _replay(messages, receive)
    if scope["path"].startswith("/api/"):
        _check_json(body)
        return _replay(messages, receive)
    pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
    errors = _pair_errors(pairs)
    if not errors:
        return _replay(messages, receive)
    if handler is None or not handler.opt.get(RESHOWS_FORM):
        raise InvalidInput(errors, status=422)
    scope.setdefault("state", {})[STATE_KEY] = errors
    cleaned = urlencode([(strip_bad(k), strip_bad(v)) for k, v in pairs]).encode()
    scope["headers"] = [
        (k, str(len(cleaned)).encode() if k == b"content-length" else v)
        for k, v in scope["headers"]
    ]
    message: ReceiveMessage = {"type": "http.request", "body": cleaned, "more_body": False}
    return _replay([message], receive)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


async def _read(
    scope: Scope, receive: Receive, limit: int | None
) -> tuple[list[ReceiveMessage], bytes | None]:
    """The messages read, and the whole body, or None when it is over the limit or cut off."""
    announced = _header(scope, b"content-length")
    if limit is not None and announced.isdigit() and int(announced) > limit:
        return [], None
    messages: list[ReceiveMessage] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if limit is not None and size > limit:
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(chunks)


def _replay(messages: list[ReceiveMessage], receive: Receive) -> Receive:
    pending = collections.deque(messages)

    async def replay() -> ReceiveMessage:
        return pending.popleft() if pending else await receive()

    return replay


def _check_json(body: bytes) -> None:
    """Refuse a JSON body nested too deep, or with a refused character in a key or value."""
    try:
        doc = msgspec.json.decode(body)
    except RecursionError:
        raise InvalidInput([FieldError("body", TOO_DEEP)], status=400) from None
    except msgspec.DecodeError:
        return  # not JSON: the handler's own decoding says so
    errors: list[FieldError] = []
    queue: collections.deque[tuple[str, Any, int]] = collections.deque([("", doc, 0)])
    while queue:
        path, value, depth = queue.popleft()
        if depth > MAX_JSON_DEPTH:
            raise InvalidInput([FieldError(strip_bad(path) or "body", TOO_DEEP)], status=400)
        if isinstance(value, str):
            if not is_clean(value):
                errors.append(FieldError(strip_bad(path) or "body", MESSAGE))
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else key
                if not is_clean(key):
                    errors.append(FieldError(strip_bad(child) or "body", MESSAGE))
                queue.append((child, item, depth + 1))
        elif isinstance(value, list):
            queue.extend(
                (f"{path}.{i}" if path else str(i), v, depth + 1) for i, v in enumerate(value)
            )
    if errors:
        raise InvalidInput(errors, status=422)
