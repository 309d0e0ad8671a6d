"""Import speed: N synthetic rows through `registry import` as an operator runs it.

Issue 10's target: 200,000 valid rows through `registry import --apply` in under 60 s. Runs in
a scratch REGISTRY_HOME (its own embedded PostgreSQL, seeded; DATABASE_URL is ignored), so
nothing else is touched:

    uv run python -m bench.import                    # 200,000 rows, CSV
    uv run python -m bench.import --rows 20000 --format xlsx

Each step is one `registry import` command, timed from start to exit (file read in its child
process, validation, diff, writes, commit): a dry-run, the apply, the same file again (all
unchanged: export -> import is a no-op), and a file changing every row's 备注 from a later
date (a new version for each item; --changed, slow: every old version is closed by an UPDATE
and both go through the GiST exclusion index). The scratch server is stopped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import synthetic
from registry.catalogue import sheets

NOTE = synthetic.HEADERS.index("备注")
EFFECTIVE = synthetic.HEADERS.index("生效日期")


def run(env: dict[str, str], *args: str) -> tuple[float, int, str, int]:
    """(seconds, exit code, stdout, peak RSS in MB of the command or its file-reading child)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "registry", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = proc.communicate(timeout=1800)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.stderr.write(err)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return seconds, proc.returncode, out, peak


def write(table: list[list[str]], path: Path) -> None:
    if path.suffix == ".xlsx":
        path.write_bytes(sheets.write_xlsx(table[0], table[1:], "清单"))
    else:
        path.write_bytes(sheets.write_csv(table[0], table[1:]))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    p.add_argument("--home", help="scratch REGISTRY_HOME (default: a new temporary directory)")
    p.add_argument(
        "--changed", action="store_true", help="also apply a file changing every row (slow)"
    )
    args = p.parse_args()
    home = Path(args.home or tempfile.mkdtemp(prefix="registry-import-bench-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["REGISTRY_HOME"] = str(home)
    print(f"scratch home {home}", file=sys.stderr)

    t0 = time.perf_counter()
    table = synthetic.table(args.rows)
    new_file = home / f"synthetic-{args.rows}.{args.format}"
    write(table, new_file)
    changed = [table[0], *([*r] for r in table[1:])]
    later = (dt.date.fromisoformat(synthetic.EFFECTIVE) + dt.timedelta(days=1)).isoformat()
    for r in changed[1:]:
        r[NOTE], r[EFFECTIVE] = "合成数据（第二版）", later
    changed_file = home / f"synthetic-{args.rows}-changed.{args.format}"
    write(changed, changed_file)
    print(f"files written in {time.perf_counter() - t0:.0f} s", file=sys.stderr)

    seconds, code, _, _ = run(env, "seed")
    assert code == 0, "seed failed"
    print(f"seed (initdb, migrations, 173 items): {seconds:.1f} s", file=sys.stderr)
    apply = ["--apply", *_reason(env)]
    steps = [
        ("dry-run", [str(new_file)]),
        ("apply (all new)", [str(new_file), *apply]),
        ("apply again (all unchanged)", [str(new_file), *apply]),
    ]
    if args.changed:
        steps.append(("apply (every row changed)", [str(changed_file), *apply]))
    results = []
    try:
        for label, extra in steps:
            seconds, code, out, peak = run(env, "import", *extra, "--json")
            counts = json.loads(out) if out.strip() else {}
            errors = len(counts.get("errors", []))
            results.append((label, seconds, code, counts, errors, peak))
            print(f"{label}: {seconds:.1f} s, exit {code}", file=sys.stderr)
    finally:
        from registry.infra import embedded_pg

        server = embedded_pg.ensure_server(home)
        versions = _versions(server.dsn())
        server.stop()

    print(f"\n{args.rows:,} rows, {args.format}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(", ".join(f"{k} {v}" for k, v in versions.items()))
    print("| step | seconds | exit | added | changed | unchanged | errors | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for label, seconds, code, counts, errors, peak in results:
        cells = [counts.get(k, "") for k in ("added", "changed", "unchanged")]
        print(f"| {label} | {seconds:.1f} | {code} | " + " | ".join(map(str, cells)), end="")
        print(f" | {errors} | {peak} |")
    target = results[1][1] if len(results) > 1 else float("inf")
    print(f"\napply of {args.rows:,} new rows: {target:.1f} s (target < 60 s for 200,000)")
    return 0


def _reason(env: dict[str, str]) -> list[str]:
    """A public reason for the apply, where the command asks for one."""
    helptext = subprocess.run(
        [sys.executable, "-m", "registry", "import", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return ["--reason", "性能测试（合成数据）"] if "--reason" in helptext else []


def _versions(dsn: str) -> dict[str, str]:
    import asyncio
    from importlib.metadata import version

    import asyncpg

    async def pg() -> str:
        conn = await asyncpg.connect(dsn)
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    out = {"python": platform.python_version(), "PostgreSQL": asyncio.run(pg())}
    out |= {p: version(p) for p in ("asyncpg", "msgspec", "openpyxl")}
    out["cpus"] = str(os.cpu_count())
    return out


if __name__ == "__main__":
    raise SystemExit(main())
