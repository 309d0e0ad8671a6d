"""Public pages vs hello-world: full 200 responses and 304 repeat visits (If-None-Match), each
page in each language (简体, 繁體, English: Accept-Language) and each mode (标准版, 长辈版: the
display cookie), all of which the page cache keeps apart.

    uv run python bench/pages.py [--duration S] [--connections N] [--rounds R] [--quick]
                                 [--standard-only]

A benchmark, not a test: exits 0 unless the harness fails; prints PASS/FAIL against the target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys

from bench import _harness as h

PAGES = {"/": "home", "/certificates/retained": "retained", "/certificates/abolished": "abolished"}
TARGET_RATIO = 0.5  # full 200 responses, each page in each variant
# Variant name -> (request headers, the page's <html lang>, 长辈版?). The page cache keys on the
# mode and the language (registry/web/pagecache.py), so each variant is a page of its own.
LANGUAGES = {"zh": ("zh-CN", "zh-CN"), "hant": ("zh-TW", "zh-TW"), "en": ("en", "en")}
VARIANTS: dict[str, tuple[dict[str, str], str, bool]] = {
    f"{mode}-{lang}": (
        {"Accept-Language": accept, **({"Cookie": "display=elder"} if mode == "elder" else {})},
        tag,
        mode == "elder",
    )
    for mode in ("standard", "elder")
    for lang, (accept, tag) in LANGUAGES.items()
}
STANDARD = "standard-zh"
HTML_LANG = re.compile(rb'<html lang="([^"]+)"( class="elder")?')


def check_variant(url: str, variant: str) -> tuple[str, int]:
    """The variant's page is its own (its lang, its mode) and answers 304 to its ETag:
    (etag, page bytes); exits on anything else."""
    headers, tag, elder = VARIANTS[variant]
    status, got, body = h.fetch(url, headers)
    etag = got.get("etag")
    found = HTML_LANG.search(body)
    if status != 200 or not etag or not found:
        raise SystemExit(f"GET {url} ({variant}): status {status}, etag {etag!r}")
    if found[1].decode() != tag or bool(found[2]) != elder:
        raise SystemExit(f"GET {url} ({variant}): {found[0].decode()!r}, not its own page")
    again, _, _ = h.fetch(url, {**headers, "If-None-Match": etag})
    if again != 304:
        raise SystemExit(f"GET {url} ({variant}) with If-None-Match {etag}: {again}, not 304")
    return etag, len(body)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per run (10)")
    p.add_argument("--connections", type=int, default=50, help="concurrent connections (50)")
    p.add_argument("--rounds", type=int, default=3, help="hello/target pairs per target (3)")
    p.add_argument("--quick", action="store_true", help="duration 3, rounds 1")
    p.add_argument(
        "--standard-only",
        action="store_true",
        help=f"only {STANDARD} (标准版 简体), not the 6 modes x languages",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.rounds = 3.0, 1
    variants = [STANDARD] if args.standard_only else list(VARIANTS)

    with (
        h.database() as dsn,
        h.serve("bench.hello:app") as hello,
        h.serve("registry.web.app:app_from_env", factory=True, env={"DATABASE_URL": dsn}) as app,
    ):
        info = h.versions(dsn)
        targets: list[h.Target] = []
        sizes: dict[str, int] = {}
        for path, name in PAGES.items():
            etags = {}
            for variant in variants:
                headers = VARIANTS[variant][0]
                etag, sizes[f"{name} {variant}"] = check_variant(app + path, variant)
                etags[variant] = etag
                targets.append(h.Target(f"{name} {variant} 200", app + path, headers))
                if variant == STANDARD:  # the repeat visit: one per page is enough
                    conditional = {**headers, "If-None-Match": etag}
                    targets.append(h.Target(f"{name} {variant} 304", app + path, conditional))
            if len(set(etags.values())) != len(etags):
                raise SystemExit(f"GET {path}: two variants share a page (ETags {etags})")

        print(f"# bench/pages.py  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}")
        for k, v in info.items():
            print(f"#   {k}: {v}")
        print(f"#   {args.connections} connections, {args.duration:g} s x {args.rounds} rounds, "
              f"{h.WARMUP_S:g} s warm-up; uvicorn {' '.join(h.UVICORN_FLAGS)}")  # fmt: skip
        print("#   variants (Accept-Language, cookie): " + ", ".join(
            f"{v} ({VARIANTS[v][0]['Accept-Language']}"
            f"{', display=elder' if VARIANTS[v][2] else ''})" for v in variants))  # fmt: skip
        print("#   page bytes: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()), flush=True)
        results = h.compare(
            hello + "/", targets, rounds=args.rounds, connections=args.connections,
            duration=args.duration,
        )  # fmt: skip

    print(h.table(results))
    full = [r for r in results if r.target.name.endswith(" 200")]
    misses = [r.target.name for r in full if r.ratio() < TARGET_RATIO]
    verdict = "FAIL (" + ", ".join(misses) + ")" if misses else "PASS"
    print(f"target: ratio >= {TARGET_RATIO} for each page's full 200 response in each variant: "
          f"{verdict}")  # fmt: skip
    lowest = min(full, key=lambda r: r.ratio())
    print(f"lowest: {lowest.target.name} {lowest.ratio():.2f}")
    if any(r.errors() for r in results):
        print("warning: some runs had socket errors or unexpected statuses (see errors column)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
