"""Domain errors and the handlers that render them: JSON under /api, an HTML page elsewhere."""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import quote

import asyncpg
import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from markupsafe import Markup, escape

from registry.infra.errorshape import ErrorBody, FieldError
from registry.infra.i18n import ENGLISH, N_, TRADITIONAL, traditional, translations_for
from registry.web.language import language_of
from registry.web.urls import url_for

log = logging.getLogger("registry")

# msgids: the JSON errors say them as they are, the error page in the reader's language.
MESSAGES = {
    400: N_("请求参数有误"),
    403: N_("没有权限访问"),
    404: N_("找不到这个页面或事项"),
    405: N_("不支持这种请求方式"),
    409: N_("数据已被他人修改，请刷新后重试"),
    413: N_("提交的内容太大"),
    422: N_("提交的内容有误"),
    429: N_("请求太频繁，请稍后再试"),
    500: N_("服务器内部错误"),
    503: N_("服务暂时不可用，请稍后再试"),
}
BAD_REQUEST = N_("请求有误")


# Failures to reach PostgreSQL: 503 with Retry-After, and one log line. Anything else,
# other OSErrors included (a missing file, a full disk), is a bug: 500 with a traceback.
DB_DOWN = (
    # Refused, reset, aborted, broken pipe: the only connections a request opens are the
    # pool's to PostgreSQL (mail goes out from the outbox task, not from requests).
    ConnectionError,
    asyncpg.PostgresConnectionError,  # class 08, and a connection lost mid-query
    asyncpg.exceptions.CannotConnectNowError,  # starting up or shutting down (57P03)
    asyncpg.exceptions.TooManyConnectionsError,  # 53300
    # The server ended the session: `pg_ctl stop/restart -m fast` (57P01) or another backend
    # crashed (57P02). Usually arrives wrapped in ConnectionDoesNotExistError; not always.
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    # A pooled connection whose server sent that FATAL while it sat idle fails its next
    # query client-side: "cannot switch to state 15; another operation (2) is in progress"
    # (MagicStack/asyncpg#784, #1069). The pool terminates it on release; the retry works.
    asyncpg.InternalClientError,
)


def db_unreachable(exc: BaseException) -> bool:
    """True only when PostgreSQL cannot be reached right now (try again), not for bugs."""
    if isinstance(exc, DB_DOWN):
        return True
    if isinstance(exc, asyncpg.InterfaceError):  # "connection is closed", "pool is closing"
        return "closed" in str(exc) or "closing" in str(exc)
    # A missing Unix socket (FileNotFoundError), DNS, a connect or pool timeout, "Multiple
    # exceptions" from every address refusing: OSErrors, but only raised inside asyncpg.
    return isinstance(exc, OSError) and _raised_in_asyncpg(exc)


def _raised_in_asyncpg(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith("asyncpg."):
            return True
        tb = tb.tb_next
    return False


def error_responses(*codes: int) -> dict[int, Any]:
    """OpenAPI entries for the error shape every JSON error has (documented per operation)."""
    from litestar.openapi.datastructures import ResponseSpec

    return {c: ResponseSpec(data_container=ErrorBody, description=MESSAGES[c]) for c in codes}


class InvalidInput(Exception):
    """Bad input, with the field each message is about."""

    def __init__(self, errors: list[FieldError], status: int = 400, message: str = "") -> None:
        super().__init__(message or MESSAGES.get(status, BAD_REQUEST))
        self.errors = errors
        self.status = status
        self.message = message or MESSAGES.get(status, BAD_REQUEST)


class NotFound(Exception):
    """Not there. `message` is a msgid; its %(name)s placeholders are filled from `params`
    (in the reader's language on the error page, in Chinese in JSON)."""

    def __init__(self, message: str = MESSAGES[404], **params: str) -> None:
        self.msgid = message
        self.params = params
        self.message = message % params if params else message
        super().__init__(self.message)


def _field_errors(exc: HTTPException) -> list[FieldError]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    out = []
    for item in extra:
        if isinstance(item, dict):
            out.append(
                FieldError(
                    str(item.get("key") or item.get("source") or ""), str(item.get("message", ""))
                )
            )
    return out


def describe(exc: Exception) -> tuple[int, str, list[FieldError]]:
    if isinstance(exc, InvalidInput):
        return exc.status, exc.message, exc.errors
    if isinstance(exc, NotFound):
        return 404, exc.message, []
    if isinstance(exc, ValidationException):
        return 400, MESSAGES[400], _field_errors(exc)
    if db_unreachable(exc):
        return 503, MESSAGES[503], []
    if isinstance(exc, HTTPException):
        code = exc.status_code
        detail = exc.detail if code < 500 and exc.detail and not exc.detail.isascii() else ""
        return code, detail or MESSAGES.get(code, BAD_REQUEST), []
    return 500, MESSAGES[500], []


def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    status, message, errors = describe(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, HTTPException) and exc.headers:
        headers.update(exc.headers)
    if status == 503:
        headers.setdefault("retry-after", "5")  # a busy index build says how long itself
    ref = ""
    if status >= 500:
        ref = secrets.token_hex(4)
        if status == 503 and db_unreachable(exc):
            # An outage is one line per request: tracebacks here would flood the log.
            reason = f"{type(exc).__name__}: {exc}"[:200]
            log.warning(
                "database unreachable %s on %s %s (%s)",
                ref,
                request.method,
                request.url.path,
                reason,
            )
        else:
            log.error("error %s on %s %s", ref, request.method, request.url.path, exc_info=exc)
    if status == 401 and not request.url.path.startswith("/api/"):
        target = quote(request.url.path) if request.method == "GET" else ""
        login = url_for(request, "staff.login_form")  # ?next= even when empty, as before
        return Response(b"", status_code=303, headers={"location": f"{login}?next={target}"})
    if request.url.path.startswith("/api/"):
        body = ErrorBody(
            status=status, error=message + (f"（参考编号 {ref}）" if ref else ""), errors=errors
        )
        return Response(
            msgspec.json.encode(body),
            status_code=status,
            headers=headers,
            media_type=MediaType.JSON,
        )
    from registry.web.rendering import render_page

    msgid, params = (exc.msgid, exc.params) if isinstance(exc, NotFound) else (message, {})
    html = render_page(
        request,
        "errors/error.html",
        status=status,
        message=_said(request, msgid, params, MESSAGES.get(status, BAD_REQUEST)),
        errors=[(e.field, *_field_said(request, e.message)) for e in errors],
        ref=ref,
    )
    return Response(html, status_code=status, headers=headers, media_type=MediaType.HTML)


def _said(
    request: Request[Any, Any, Any], msgid: str, params: dict[str, str], generic: str
) -> Markup:
    """The error page's message in the reader's language; what it names (a code, a typed
    name) is shown as typed. A message no catalogue knows: converted for 繁體, and in English
    the status's own words rather than Chinese."""
    lang = language_of(request)
    words = translations_for(lang)
    said = words.gettext(msgid)
    if said == msgid and lang == TRADITIONAL:
        said = traditional(msgid)
    elif said == msgid and lang == ENGLISH:
        said, params = words.gettext(generic), {}
    if not params:
        return escape(said)
    kept = {k: Markup('<span translate="no">%s</span>') % v for k, v in params.items()}
    return Markup(escape(said)) % kept


def _field_said(request: Request[Any, Any, Any], message: str) -> tuple[str, str]:
    """A field's message and, in English, lang="zh-CN" when no catalogue translates it yet."""
    lang = language_of(request)
    said = translations_for(lang).gettext(message)
    if said == message and lang == TRADITIONAL:
        return traditional(message), ""
    if said == message and lang == ENGLISH and message and not message.isascii():
        return message, "zh-CN"
    return said, ""
