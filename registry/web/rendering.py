"""HTML rendering: one Jinja environment, security headers (the page cache: pagecache.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request
from litestar.datastructures import Cookie
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_token
from litestar.types import Message, Scope

from registry.catalogue.models import REPLACEMENT_KINDS, STATUS_LABELS, Status
from registry.complaints.cases import deadline_basis
from registry.complaints.models import (
    ACCEPT_RUNS,
    CLASSIFICATION_LABELS,
    COMPLAINT_STATUS_LABELS,
    REPLY_RUNS,
)
from registry.infra import clock
from registry.web import language, sayings
from registry.web.display import ELDER, display_mode, here
from registry.web.state import worker
from registry.web.urls import urls_of, with_query
from registry.workflow.workdays import SOURCE_LABELS

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


HSTS = (b"strict-transport-security", b"max-age=31536000")


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A before_send hook: unlike middleware it also covers routing 404/405 responses. Served
    over HTTPS (REGISTRY_HTTPS=1), browsers are also told never to use plain HTTP here, so no
    one on the network can plant cookies (a csrftoken) through an http:// request."""
    if message["type"] == "http.response.start":
        headers = [*message.get("headers", []), *SECURITY_HEADERS]
        app = scope.get("litestar_app")
        if app is not None and worker(app).settings.secure_cookies:
            headers.append(HSTS)
        message["headers"] = headers


def csrf_matches(request: Request[Any, Any, Any], submitted: str) -> bool:
    """Litestar's own token check (form field or header), for a form that re-renders instead
    of failing with a bare 403."""
    config = request.app.csrf_config
    cookie = request.cookies.get(config.cookie_name) if config else None
    submitted = request.headers.get(config.header_name, "") or submitted if config else ""
    if not config or not cookie or not submitted:
        return False
    checker = CSRFMiddleware(app=request.app, config=config)
    return checker._csrf_tokens_match(submitted, cookie)


def new_csrf_token(request: Request[Any, Any, Any]) -> tuple[str, bool]:
    """The token for a re-rendered form: the cookie's own if it is sound, else a new one
    (True: the caller must set it as the cookie)."""
    config = request.app.csrf_config
    assert config is not None
    cookie = request.cookies.get(config.cookie_name, "")
    if cookie and CSRFMiddleware(app=request.app, config=config)._decode_csrf_token(cookie):
        return cookie, False
    return generate_csrf_token(secret=config.secret), True


def csrf_cookie(request: Request[Any, Any, Any], token: str) -> Cookie:
    c = request.app.csrf_config
    assert c is not None
    return Cookie(
        key=c.cookie_name,
        value=token,
        path=c.cookie_path,
        secure=c.cookie_secure,
        httponly=c.cookie_httponly,
        samesite=c.cookie_samesite,
    )


def make_environment(directory: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    # {% trans %} and _() speak the language of the page being rendered (language.speaking).
    env.install_gettext_callables(  # type: ignore[attr-defined]
        language.gettext,
        language.ngettext,
        newstyle=True,
        pgettext=language.pgettext,  # pgettext("status", "停用"): a msgid with a context
        npgettext=language.npgettext,
    )
    env.filters["zh"] = language.list_text  # list data in Traditional characters for 繁體
    env.filters["zhspan"] = language.list_span  # …and marked lang="zh-CN" in English text
    env.globals["data_lang"] = language.data_lang  # <td{{ data_lang() }}>: the same, on an element
    env.globals["verdict_words"] = sayings.verdict_words  # the checker's words as HTML
    env.globals["item_step"] = sayings.item_step
    env.globals.update(
        Status=Status,
        STATUS_LABELS=STATUS_LABELS,
        REPLACEMENT_KINDS=REPLACEMENT_KINDS,  # code -> msgid: {{ _(REPLACEMENT_KINDS[k]) }}
        COMPLAINT_STATUS_LABELS=COMPLAINT_STATUS_LABELS,
        ACCEPT_RUNS=ACCEPT_RUNS,
        OPEN_STATUSES=ACCEPT_RUNS + REPLY_RUNS,
        CLASSIFICATION_LABELS=CLASSIFICATION_LABELS,
    )
    env.filters["pct"] = lambda x: f"{x * 100:.1f}"
    # Stored times are UTC; people read China time, with the date (北京时间).
    env.filters["local"] = lambda t: clock.local(t).strftime("%Y-%m-%d %H:%M") if t else ""
    env.globals["SOURCE_LABELS"] = SOURCE_LABELS
    env.globals["deadline_basis"] = deadline_basis
    env.globals["with_query"] = with_query  # url_for itself is bound to the app in render_page
    return env


def render_page(request: Request[Any, Any, Any], template: str, **context: Any) -> str:
    env = worker(request).jinja
    urls = urls_of(request.app)
    if env.globals.get("url_for") is not urls:  # the environment is made before its app
        env.globals["url_for"] = urls
    context.setdefault("request", request)
    context.setdefault("today", clock.today())
    context.setdefault("elder", display_mode(request) == ELDER)
    context.setdefault("here", here(request))
    lang = language.language_of(request)
    context.setdefault("lang", lang)
    context.setdefault("html_lang", language.HTML_LANG[lang])
    context.setdefault("languages", language.SWITCH)
    with language.speaking(lang) as translations:
        context.setdefault("translations", translations)
        return env.get_template(template).render(**context)
