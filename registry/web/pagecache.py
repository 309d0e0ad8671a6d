"""The page cache: rendered public pages with their ETags, kept per worker (registry.web.state)
and dropped by the changes they show (registry.web.invalidation)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import MediaType, Request, Response

from registry.infra import clock
from registry.infra.cache import BoundedCache
from registry.web.display import display_mode
from registry.web.language import language_of

# Rendered pages: 2-25 KB each, so 16 MB holds every list page and item page of the seed list
# many times over, and the most visited ones of a 200,000-item list.
PAGE_BYTES = 16 * 2**20
PAGE_ENTRY = 2**20
PAGE_KEY = 4096  # keys are built from parsed, bounded parameters; longer ones are not kept
# What a cached page is sent with, by the route and by registry.web.door.PageDoor alike.
HEADERS = {"cache-control": "no-cache", "vary": "cookie, accept-language"}


def _page_size(page: tuple[str, bytes]) -> int:
    return len(page[0]) + len(page[1])


def door_key(scope: Any, mode: str, language: str) -> bytes:
    """The request as it came (path and query string as sent) in its mode and language, on
    China's today: what PageDoor finds a page by, before routing has parsed anything."""
    path = scope.get("raw_path") or scope["path"].encode()
    today = clock.today().isoformat().encode()
    return b"\0".join((today, mode.encode(), language.encode(), path, scope["query_string"]))


class PageCache:
    """Rendered public pages, keyed on the parameters each page uses, dropped whenever the list
    changes (registry.web.invalidation). `doors` finds the same pages by the request as sent
    (door_key), for registry.web.door.PageDoor: a page is found there only after its route
    has served it for exactly that path, query string, mode and language."""

    def __init__(self) -> None:
        self.pages: BoundedCache[tuple[str, bytes]] = BoundedCache(
            PAGE_BYTES, PAGE_ENTRY, _page_size, max_key=PAGE_KEY
        )
        self.doors: BoundedCache[tuple[str, bytes]] = BoundedCache(
            PAGE_BYTES, PAGE_ENTRY, _page_size, max_key=PAGE_KEY
        )

    @property
    def generation(self) -> int:
        return self.pages.generation

    def clear(self) -> None:
        self.pages.clear()
        self.doors.clear()

    async def respond(
        self,
        request: Request[Any, Any, Any],
        key: str | tuple[Any, ...],
        render: Callable[[], Awaitable[str]],
    ) -> Response[bytes]:
        """Serve from memory, or render once; a repeat visit with a matching ETag gets 304.
        `key` names the page and the parsed parameters it is rendered from, nothing else; the
        display mode (长辈版 or 标准版) and the language (简体, 繁體, English) are added here, so
        no page is served in another mode or language (/changes once served its 简体 page to
        every language: its route's key lacked the language)."""
        variant = (display_mode(request), language_of(request))
        cache_key = msgspec.json.encode((clock.today().isoformat(), *variant, key))
        hit = self.pages.get(cache_key)
        current = hit is not None
        if hit is None:
            generation = self.generation
            body = (await render()).encode()
            hit = ('"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"', body)
            current = self.pages.put(cache_key, hit, generation)  # not if the list changed
        if current:
            self.doors.put(door_key(request.scope, *variant), hit, self.doors.generation)
        etag, body = hit
        headers = {"etag": etag, **HEADERS}
        if request.headers.get("if-none-match") == etag:
            return Response(b"", status_code=304, headers=headers)
        return Response(body, media_type=MediaType.HTML, headers=headers)
