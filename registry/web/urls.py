"""Named routes: every link and redirect is built from a route's name (docs/architecture.md,
"Named routes"), so a path is written once, in its route decorator."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode
from weakref import WeakKeyDictionary

from litestar import Litestar, Request
from litestar.exceptions import NoRouteMatchFoundException

from registry.infra.worker import base_of

Query = Mapping[str, Any] | Iterable[tuple[str, Any]]


def with_query(path: str, query: Query | None) -> str:
    """`path?k=v&…`, every value encoded; None and "" leave their key out."""
    pairs = query.items() if isinstance(query, Mapping) else (query or ())
    kept = [(k, v) for k, v in pairs if v is not None and v != ""]
    # %20 for a space, not "+"; "/" kept as it is (a ?next= path stays readable)
    return path + "?" + urlencode(kept, safe="/", quote_via=quote) if kept else path


PARAM = re.compile(r"\{(\w+):\w+\}")  # {code:str} in a Litestar path
PLAIN = re.compile(r"[A-Za-z0-9._~-]*")  # what quote() leaves as it is: most codes and ids


def _quoted(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if PLAIN.fullmatch(text) else quote(text, safe="")


class Urls:
    """`url_for(name, query=None, **path_params)` for one app. Each route's path is read once
    from Litestar's handler index and kept as a format string: a page with hundreds of links
    pays a dict look-up and a format per link. Path values are percent-encoded (Litestar's
    route_reverse pastes them in as they are)."""

    def __init__(self, app: Litestar) -> None:
        self.app = app
        self.shapes: dict[tuple[str, ...], str] = {}

    def __call__(self, name: str, /, query: Query | None = None, **params: Any) -> str:
        key = (name, *params)  # a call site passes its parameters in one order
        shape = self.shapes.get(key) or self.shapes.setdefault(key, self._shape(name, set(params)))
        path = shape.format_map({k: _quoted(v) for k, v in params.items()}) if params else shape
        return with_query(path, query) if query else path

    def _shape(self, name: str, given: set[str]) -> str:
        index = self.app.get_handler_index_by_name(name)
        if index is None:
            raise NoRouteMatchFoundException(f"no route is named {name}")
        for path in index["paths"]:
            if set(PARAM.findall(path)) == given:
                return PARAM.sub(r"{\1}", path)
        raise NoRouteMatchFoundException(f"{name}: no path takes exactly {sorted(given)}")


_APPS: WeakKeyDictionary[Litestar, Urls] = WeakKeyDictionary()


def urls_of(app: Litestar) -> Urls:
    """The app's Urls, made on first use."""
    urls = _APPS.get(app)
    if urls is None:
        urls = _APPS[app] = Urls(app)
    return urls


def url_for(
    request: Request[Any, Any, Any], name: str, /, query: Query | None = None, **params: Any
) -> str:
    """A named route's URL, for redirects and links built in code."""
    return urls_of(request.app)(name, query, **params)


def public_base(request: Request[Any, Any, Any]) -> str:
    """Absolute links for readers elsewhere (feeds, paper): the configured public URL
    (REGISTRY_PUBLIC_URL, kept without a trailing slash), else this request's host with https
    under REGISTRY_HTTPS (behind a TLS proxy the connection itself is http)."""
    settings = base_of(request.app).settings
    if settings.public_url:
        return str(settings.public_url)
    base = str(request.base_url).rstrip("/")
    if settings.secure_cookies and base.startswith("http://"):
        base = "https://" + base.removeprefix("http://")
    return base


def absolute(request: Request[Any, Any, Any], path: str) -> str:
    return public_base(request) + path
