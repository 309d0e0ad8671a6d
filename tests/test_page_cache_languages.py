"""The page cache keeps each page per language as well as per mode: a page cached for one
reader is never served to a reader of another language (registry/web/pagecache.py adds both to
every key, so a route cannot forget them; /changes once did)."""

from __future__ import annotations

import re

import httpx
import pytest

# Every route answered from the page cache.
CACHED = [
    "/",
    "/certificates/retained",
    "/certificates/abolished",
    "/certificates/CY-ZM-001",
    "/changes",
    "/check?name=良民证",
    "/certificates/CY-ZM-001/card",
    "/check/print?name=良民证",
    "/poster",
]
LANGUAGES = {"zh-CN": "zh-CN", "zh-TW": "zh-TW", "en": "en"}  # Accept-Language -> <html lang>
HTML_LANG = re.compile(r'<html lang="([^"]+)"')


@pytest.mark.parametrize("path", CACHED)
async def test_a_cached_page_is_kept_per_language_and_mode(
    client: httpx.AsyncClient, path: str
) -> None:
    etags: set[str] = set()
    for accept, tag in LANGUAGES.items():
        for cookie in ("", "display=elder"):
            # Twice each: the second answer comes from the cache the first one filled.
            for _ in range(2):
                page = await client.get(path, headers={"accept-language": accept, "cookie": cookie})
                assert page.status_code == 200, (path, accept, cookie)
                found = HTML_LANG.search(page.text)
                assert found and found[1] == tag, (path, accept, cookie, found)
                assert ('class="elder"' in page.text) == bool(cookie), (path, accept, cookie)
            etags.add(page.headers["etag"])
    assert len(etags) == 6, path
