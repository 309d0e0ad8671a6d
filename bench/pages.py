"""Public pages vs hello-world: full 200 responses and 304 repeat visits (If-None-Match).

    uv run python bench/pages.py [--duration S] [--connections N] [--rounds R] [--quick]

A benchmark, not a test: exits 0 unless the harness fails; prints PASS/FAIL against the target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from bench import _harness as h

PAGES = {"/": "home", "/certificates/retained": "retained", "/certificates/abolished": "abolished"}
TARGET_RATIO = 0.5  # full 200 responses, each page
ELDER = {"Cookie": "display=elder"}  # 长辈版: the page cache keys on the mode (pagecache.py)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per run (10)")
    p.add_argument("--connections", type=int, default=50, help="concurrent connections (50)")
    p.add_argument("--rounds", type=int, default=3, help="hello/target pairs per target (3)")
    p.add_argument("--quick", action="store_true", help="duration 3, rounds 1")
    p.add_argument("--elder", action="store_true", help="also measure each page in 长辈版")
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.rounds = 3.0, 1

    with (
        h.database() as dsn,
        h.serve("bench.hello:app") as hello,
        h.serve("registry.web.app:app_from_env", factory=True, env={"DATABASE_URL": dsn}) as app,
    ):
        info = h.versions(dsn)
        targets: list[h.Target] = []
        sizes: dict[str, int] = {}
        for path, name in PAGES.items():
            status, headers, body = h.fetch(app + path)
            etag = headers.get("etag")
            if status != 200 or not etag:
                raise SystemExit(f"GET {path}: status {status}, etag {etag!r}")
            again, _, _ = h.fetch(app + path, {"If-None-Match": etag})
            if again != 304:
                raise SystemExit(f"GET {path} with If-None-Match {etag}: status {again}, not 304")
            sizes[name] = len(body)
            targets.append(h.Target(f"{name} 200", app + path))
            targets.append(h.Target(f"{name} 304", app + path, {"If-None-Match": etag}))
            # The mode is in the cache key: 长辈版 is its own page, never the standard one.
            status, headers, elder = h.fetch(app + path, ELDER)
            if status != 200 or b'class="elder"' not in elder or headers.get("etag") == etag:
                raise SystemExit(f"GET {path} in 长辈版: status {status}, not its own page")
            if args.elder:
                targets.append(h.Target(f"{name} elder 200", app + path, ELDER))

        print(f"# bench/pages.py  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}")
        for k, v in info.items():
            print(f"#   {k}: {v}")
        print(f"#   {args.connections} connections, {args.duration:g} s x {args.rounds} rounds, "
              f"{h.WARMUP_S:g} s warm-up; uvicorn {' '.join(h.UVICORN_FLAGS)}")  # fmt: skip
        print("#   page bytes: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()), flush=True)
        results = h.compare(
            hello + "/", targets, rounds=args.rounds, connections=args.connections,
            duration=args.duration,
        )  # fmt: skip

    print(h.table(results))
    full = [r for r in results if r.target.name.endswith(" 200")]
    misses = [r.target.name for r in full if r.ratio() < TARGET_RATIO]
    verdict = "FAIL (" + ", ".join(misses) + ")" if misses else "PASS"
    print(f"target: ratio >= {TARGET_RATIO} for each page's full 200 response: {verdict}")
    if any(r.errors() for r in results):
        print("warning: some runs had socket errors or unexpected statuses (see errors column)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
