"""/api/v1/check vs hello-world under a realistic query mix, on the seeded list and on a large
synthetic list (200,000 items by default).

    uv run python bench/check.py [--duration S] [--connections N] [--rounds R] [--quick]
                                 [--dataset seed|synthetic|both] [--synthetic-size N]

The mix (MIX below): 60% of requests ask about 8 common certificates (Zipf-like), the rest are
Traditional / spaced / full-width spellings, aliases, pinyin initials, `matter=` questions, a
long tail of other listed names and 10% names that are not on the list (a fixed set, so they
repeat). 2,000 request paths are drawn from it with a fixed seed; a wrk Lua script cycles
through them. Before measuring, every distinct path is fetched once and must answer 200 with
the expected verdict.

Database: DATABASE_URL if set, else the embedded PostgreSQL in REGISTRY_HOME (default
.registry/; use a scratch one, e.g. REGISTRY_HOME=/tmp/bench-check-home). The synthetic list
lives in a separate database on the same server (`registry_synth<N>`, or SYNTHETIC_DATABASE_URL),
loaded through catalogue.transfer.import_table on top of the seed list and kept for later runs.

A benchmark, not a test: exits 0 unless the harness fails; prints PASS/FAIL against the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from bench import _harness as h

PATH = "/api/v1/check"
PATHS_IN_SCRIPT = 2000
MIX_SEED = 7
BUILD_TIMEOUT_S = 900.0

# (weight %, name, matter, expected verdict, expected certificate code or None)
COMMON = [  # 60%, Zipf (s = 1) over 8 names; a retained look-alike without a matter asks back
    ("无犯罪记录证明", "abolished", "CY-ZM-014"),
    ("户口证明", "abolished", "CY-ZM-085"),
    ("出生医学证明", "needs_matter", None),
    ("居住证明", "needs_matter", None),
    ("婚姻状况证明", "needs_matter", None),
    ("收入证明", "abolished", "CY-ZM-043"),
    ("亲属关系证明", "abolished", "CY-ZM-010"),
    ("离职证明", "needs_matter", None),
]
_H8 = sum(1 / k for k in range(1, len(COMMON) + 1))
MIX: list[tuple[float, str, str | None, str, str | None]] = [
    (60 / (k * _H8), name, None, verdict, code) for k, (name, verdict, code) in enumerate(COMMON, 1)
]
MIX += [  # 15%: other spellings of the common ones
    (2.5, "無犯罪記錄證明", None, "abolished", "CY-ZM-014"),  # Traditional
    (2.0, "无 犯罪 记录 证明", None, "abolished", "CY-ZM-014"),  # spaced (form GET: '+')
    (1.0, "无犯罪记录证明　", None, "abolished", "CY-ZM-014"),  # trailing ideographic space
    (1.0, "ＷＦＺＪＬＺＭ", None, "abolished", "CY-ZM-014"),  # full-width pinyin initials
    (3.0, "良民证", None, "abolished", "CY-ZM-014"),  # alias
    (1.0, "单身证明", None, "abolished", "CY-ZM-066"),  # alias
    (1.0, "准生证", None, "abolished", "CY-ZM-111"),  # alias
    (1.5, "wfzjlzm", None, "abolished", "CY-ZM-014"),  # pinyin initials
    (1.0, "hkzm", None, "abolished", "CY-ZM-085"),
    (0.5, "csyxzm", None, "needs_matter", None),
    (0.5, "wufanzuijiluzhengming", None, "abolished", "CY-ZM-014"),  # full pinyin
]
MIX += [  # 8%: with the matter
    (2.0, "出生医学证明", "新生儿出生登记", "retained", "CY-ZM-001"),
    (2.0, "离职证明", "失业登记", "retained", "CY-ZM-004"),
    (1.0, "离职证明", "办理贷款", "retained_other_matter", "CY-ZM-004"),
    (2.0, "无犯罪记录证明", "就业", "abolished", "CY-ZM-014"),
    (1.0, "户口证明", "城乡居民基本医疗保险参保登记", "abolished", "CY-ZM-085"),
    # verdict v2: matters in everyday words, a licence, a matter typed as the name
    (1.0, "出生证明", "上户口", "retained", "CY-ZM-001"),
    (1.0, "离职证明", "领失业金", "retained", "CY-ZM-004"),
    (1.0, "身份证", None, "out_of_scope", None),
    (0.5, "上户口", None, "needs_matter", None),
]
LONG_TAIL = [
    ("健在证明", "CY-ZM-019"), ("贫困证明", "CY-ZM-041"), ("无房证明", "CY-ZM-134"),
    ("独生子女证明", "CY-ZM-095"), ("残疾证明", "CY-ZM-022"), ("失业证明", "CY-ZM-069"),
    ("生存证明", "CY-ZM-019"),
]  # fmt: skip
MIX += [  # 7%: long tail of listed names
    (1.0, name, None, "abolished", code) for name, code in LONG_TAIL
]
UNLISTED = [
    "放生证明", "无宗教信仰证明", "我妈是我妈证明", "无债务证明", "道德品质证明", "未出国证明",
    "亲子关系证明", "邻里和睦证明", "无欠款证明", "无偷税证明", "疫苗接种证明", "工作表现证明",
]  # fmt: skip
_HU = sum(1 / k for k in range(1, len(UNLISTED) + 1))
MIX += [(10 / (k * _HU), n, None, "unlisted", None) for k, n in enumerate(UNLISTED, 1)]  # 10%

TARGET_RATIO_SEED, TARGET_P99_MS = 0.6, 10.0
# Issue 12: a new question costs less than another framework's empty endpoint.
TARGET_RATIO_UNCACHED = 0.6
TARGET_RATIO_SYNTH, TARGET_RSS_MB = 0.4, 300.0


def query_path(name: str, matter: str | None) -> str:
    """Percent-encoded UTF-8, spaces as '+', as a browser's GET form sends it."""
    params = {"name": name} | ({"matter": matter} if matter else {})
    return f"{PATH}?{urlencode(params)}"


def request_paths(n: int = PATHS_IN_SCRIPT) -> list[str]:
    rnd = random.Random(MIX_SEED)
    weights = [w for w, *_ in MIX]
    picks = rnd.choices(MIX, weights=weights, k=n)
    return [query_path(name, matter) for _, name, matter, _, _ in picks]


def lua_script(paths: list[str], directory: Path, *, cache_buster: bool) -> str:
    """A wrk script cycling through paths; cache_buster appends a new department=<n> to every
    request (part of the question, unlike an unknown parameter, which the cache ignores), so
    no answer comes from the app's answer cache (a stress test of decide(), not the mix)."""
    assert all(p.isascii() and '"' not in p and "\\" not in p for p in paths)
    body = ",\n".join(f'  "{p}"' for p in paths)
    suffix = ' .. "&department=B" .. counter' if cache_buster else ""
    lua = (
        f"local paths = {{\n{body}\n}}\n"
        "local n, i, counter = #paths, 0, 0\n"
        "request = function()\n"
        "  i = i % n + 1\n"
        "  counter = counter + 1\n"
        f'  return wrk.format("GET", paths[i]{suffix})\n'
        "end\n"
    )
    path = directory / ("check-nocache.lua" if cache_buster else "check-mix.lua")
    path.write_text(lua)
    return str(path)


# ---------------------------------------------------------------- load with a script


def load(url: str, *, connections: int, duration: float, script: str | None) -> h.Load:
    wrk = h.find_wrk()
    if wrk is None:
        raise SystemExit("bench/check.py needs wrk (its Lua script makes the query mix)")
    cmd = [wrk, "--latency", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s"]
    if script:
        cmd += ["-s", script]
    run = subprocess.run(
        [*cmd, url], capture_output=True, text=True, timeout=duration + 60, check=True
    )
    return h.parse_wrk(run.stdout)


@dataclass(frozen=True)
class Scripted:
    name: str
    url: str
    script: str | None


def compare(
    hello_url: str, targets: list[Scripted], *, rounds: int, connections: int, duration: float
) -> list[h.Result]:
    """As _harness.compare (hello, target, hello, target, … after a warm-up), with scripts."""
    for t in [Scripted("hello", hello_url, None), *targets]:
        load(t.url, connections=connections, duration=h.WARMUP_S, script=t.script)
    results = [(t, h.Result(h.Target(t.name, t.url))) for t in targets]
    for i in range(rounds):
        for t, res in results:
            res.hello.append(load(hello_url, connections=connections, duration=duration,
                                  script=None))  # fmt: skip
            res.runs.append(load(t.url, connections=connections, duration=duration,
                                 script=t.script))  # fmt: skip
            print(f"  round {i + 1}/{rounds} {t.name}: {res.runs[-1].rps:,.0f} req/s "
                  f"(hello {res.hello[-1].rps:,.0f})", file=sys.stderr, flush=True)  # fmt: skip
    return [res for _, res in results]


# ---------------------------------------------------------------- the server's worker


def worker_pid(base: str) -> int:
    """The uvicorn process serving base (--workers 1 runs in a single process): our child whose
    command line has --port <port>."""
    port = str(urlsplit(base).port)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and b"uvicorn" in argv and port.encode() in argv:
            return int(entry.name)
    raise RuntimeError(f"no uvicorn child on port {port}")


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def get_json(url: str, timeout: float) -> tuple[int, dict[str, object]]:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, json.loads(r.read())


def warm_up(base: str) -> float:
    """Seconds until the first check answers: the worker builds its index on that request."""
    start = time.perf_counter()
    status, body = get_json(base + query_path("无犯罪记录证明", None), BUILD_TIMEOUT_S)
    if status != 200 or body.get("verdict") != "abolished":
        raise SystemExit(f"first check: {status} {body}")
    return time.perf_counter() - start


def verify(base: str, *, exact: bool = True) -> int:
    """Every distinct path answers 200 with the expected verdict (and certificate). On the
    synthetic list (exact=False) its generated look-alikes may change which items a name fits,
    so only safety is held: may_require only where the seed's answer is retained."""
    seen: set[str] = set()
    bad = []
    for _, name, matter, verdict, code in MIX:
        path = query_path(name, matter)
        if path in seen:
            continue
        seen.add(path)
        status, body = get_json(base + path, 60)
        cert = body.get("certificate") or {}
        got_code = cert.get("code") if isinstance(cert, dict) else None
        if exact:
            wrong = body.get("verdict") != verdict or (code and got_code != code)
        else:
            wrong = bool(body.get("may_require")) and verdict != "retained"
        if status != 200 or wrong:
            bad.append(f"{path} ({name!r}, {matter!r}): {status} {body.get('verdict')} "
                       f"{got_code}, expected {verdict} {code}")  # fmt: skip
    if bad:
        raise SystemExit("unexpected answers:\n  " + "\n  ".join(bad))
    return len(seen)


# ---------------------------------------------------------------- the synthetic database


def synthetic_dsn(dsn: str, size: int) -> str:
    if url := os.environ.get("SYNTHETIC_DATABASE_URL"):
        return url
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/registry_synth{size}"))


VERSION_COLUMNS = [
    "code", "valid_from", "name", "aliases", "status", "issuer", "demanded_by", "matters",
    "legal_basis", "legal_basis_level", "domain", "replacement", "replacement_methods",
    "retain_reason", "decision_doc", "note", "changed_by", "change_reason",
]  # fmt: skip


async def _copy(conn: Any, table: list[list[str]]) -> None:
    """The importer's parsing and validation (transfer.parse_rows), then COPY straight into
    certificates and certificate_versions: the importer's per-row diff and inserts take about
    2.6 ms a row here (20,000 rows: 52 s; 200,000: well over 10 minutes)."""
    from registry.catalogue import transfer

    rows, errors = transfer.parse_rows(table, today=dt.date.today())
    if errors:
        raise SystemExit(f"synthetic rows have errors: {errors[:3]}")
    async with conn.transaction():
        await conn.copy_records_to_table(
            "certificates", records=[(r.cert.code,) for r in rows], columns=["code"]
        )
        await conn.copy_records_to_table(
            "certificate_versions",
            records=[
                (
                    c.code,
                    r.effective_from,
                    c.name,
                    c.aliases,
                    c.status.value,
                    c.issuer,
                    c.demanded_by,
                    c.matters,
                    c.legal_basis,
                    c.legal_basis_level,
                    c.domain,
                    c.replacement,
                    c.replacement_methods,
                    c.retain_reason,
                    c.decision_doc,
                    c.note,
                    "bench",
                    "合成数据（性能测试）",
                )
                for r in rows
                for c in [r.cert]
            ],
            columns=VERSION_COLUMNS,
        )


async def _prepare_synthetic(
    dsn: str, synth: str, size: int, loader: str = "copy", server: Any = None
) -> dict[str, float]:
    """Create (C.UTF-8, template0), migrate, seed, then load `size` synthetic items unless
    they are there already. Returns timings."""
    from bench import synthetic
    from registry.catalogue import transfer
    from registry.cli import migrate_and_seed
    from registry.infra.db import connect
    from registry.infra.settings import Settings

    name = urlsplit(synth).path.lstrip("/")
    # The embedded server's roles: its superuser creates, the owner migrates and loads.
    owner = server.owner_dsn(name) if server is not None else synth
    if not os.environ.get("SYNTHETIC_DATABASE_URL"):
        admin = await connect(server.admin_dsn() if server is not None else dsn)
        try:
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await admin.execute(
                    f'CREATE DATABASE "{name}" {"OWNER registry" if server else ""}'
                    " ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
                )
                print(f"created database {name}", file=sys.stderr)
        finally:
            await admin.close()
    await migrate_and_seed(owner, Settings.from_env(), seed=True)
    conn = await connect(owner)
    try:
        have = await conn.fetchval(
            "SELECT count(*) FROM certificates WHERE code LIKE $1 || '%'", synthetic.CODE_PREFIX
        )
        if have >= size:
            return {"cached": 1.0}
        print(f"generating {size:,} synthetic items ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        table = synthetic.table(size)
        t1 = time.perf_counter()
        print(f"loading them ({loader}) ...", file=sys.stderr, flush=True)
        if loader == "importer":
            report = await transfer.import_table(
                conn, table, apply=True, actor="bench", reason="合成数据（性能测试）"
            )
            if report.errors or not report.applied:
                raise SystemExit(f"synthetic import failed: {report.errors[:3]}")
        else:
            await _copy(conn, table)
        t2 = time.perf_counter()
        await conn.execute("ANALYZE")
        print(f"loaded {size:,} items in {t2 - t1:.0f} s", file=sys.stderr)
        return {"generate_s": t1 - t0, "load_s": t2 - t1, "cached": 0.0}
    finally:
        await conn.close()


async def _count(dsn: str) -> int:
    from registry.catalogue.queries import certificates as q
    from registry.infra.db import connect

    conn = await connect(dsn)
    try:
        return await q.count_certificates(conn, on=dt.date.today())
    finally:
        await conn.close()


# ---------------------------------------------------------------- one dataset


@dataclass
class Outcome:
    label: str
    items: int
    build_s: float
    rss_after_build: dict[str, float]
    rss_after_run: dict[str, float]
    results: list[h.Result]
    distinct: int


@contextmanager
def app_server(dsn: str) -> Iterator[str]:
    with h.serve("registry.web.app:app_from_env", factory=True, env={"DATABASE_URL": dsn}) as base:
        yield base


def run_dataset(
    label: str, dsn: str, hello: str, scripts: dict[str, str], args: argparse.Namespace
) -> Outcome:
    items = asyncio.run(_count(dsn))
    with app_server(dsn) as app:
        pid = worker_pid(app)
        print(f"[{label}] {items:,} items in force; worker pid {pid}, "
              f"RSS before first check {memory_mb(pid)['VmRSS']:.0f} MB", file=sys.stderr,
              flush=True)  # fmt: skip
        build = warm_up(app)
        after_build = memory_mb(pid)
        distinct = verify(app, exact=label == "seed")
        print(
            f"[{label}] index built in {build:.1f} s, RSS {after_build['VmRSS']:.0f} MB; "
            f"{distinct} distinct questions answer as expected",
            file=sys.stderr,
            flush=True,
        )
        targets = [Scripted("check (mix)", app + PATH, scripts["mix"])]
        if not args.no_uncached:
            targets.append(Scripted("check (mix, no answer cache)", app + PATH,
                                    scripts["nocache"]))  # fmt: skip
        results = compare(hello + "/", targets, rounds=args.rounds,
                          connections=args.connections, duration=args.duration)  # fmt: skip
        after_run = memory_mb(pid)
    return Outcome(label, items, build, after_build, after_run, results, distinct)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per run (10)")
    p.add_argument("--connections", type=int, default=50, help="concurrent connections (50)")
    p.add_argument("--rounds", type=int, default=3, help="hello/target pairs per target (3)")
    p.add_argument("--quick", action="store_true", help="duration 3, rounds 1")
    p.add_argument("--dataset", choices=["seed", "synthetic", "both"], default="both")
    p.add_argument("--synthetic-size", type=int, default=200_000, help="items (200000)")
    p.add_argument("--loader", choices=["copy", "importer"], default="copy",
                   help="first load of the synthetic list: COPY after the importer's validation "
                   "(default) or catalogue.transfer.import_table (~2.6 ms a row)")  # fmt: skip
    p.add_argument("--no-uncached", action="store_true",
                   help="skip the extra run that bypasses the answer cache")  # fmt: skip
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.rounds = 3.0, 1

    outcomes: list[Outcome] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-check-") as tmp,
        h.embedded_database(allow_url=True) as (dsn, server),
        h.serve("bench.hello:app") as hello,
    ):
        info = h.versions(dsn)
        paths = request_paths()
        scripts = {
            "mix": lua_script(paths, Path(tmp), cache_buster=False),
            "nocache": lua_script(paths, Path(tmp), cache_buster=True),
        }
        prep: dict[str, float] = {}
        if args.dataset in ("synthetic", "both"):
            synth = synthetic_dsn(dsn, args.synthetic_size)
            prep = asyncio.run(
                _prepare_synthetic(dsn, synth, args.synthetic_size, args.loader, server)
            )
        print(f"# bench/check.py  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}")
        for k, v in info.items():
            print(f"#   {k}: {v}")
        print(f"#   {args.connections} connections, {args.duration:g} s x {args.rounds} rounds, "
              f"{h.WARMUP_S:g} s warm-up; uvicorn {' '.join(h.UVICORN_FLAGS)}")  # fmt: skip
        print(f"#   mix: {len(paths)} paths cycled by a wrk Lua script, "
              f"{len({query_path(n, m) for _, n, m, _, _ in MIX})} distinct questions",
              flush=True)  # fmt: skip
        if prep:
            how = (
                "cached from an earlier run"
                if prep.get("cached")
                else f"generated in {prep['generate_s']:.0f} s, loaded ({args.loader}) in "
                f"{prep['load_s']:.0f} s"
            )
            print(f"#   synthetic list: {how}", flush=True)
        if args.dataset in ("seed", "both"):
            outcomes.append(run_dataset("seed", dsn, hello, scripts, args))
        if args.dataset in ("synthetic", "both"):
            outcomes.append(run_dataset("synthetic", synth, hello, scripts, args))

    for o in outcomes:
        print(f"\n## {o.label}: {o.items:,} items in force")
        print(f"first check (index build) {o.build_s:.1f} s; worker RSS after build "
              f"{o.rss_after_build['VmRSS']:.0f} MB, after the runs {o.rss_after_run['VmRSS']:.0f}"
              f" MB (peak {o.rss_after_run['VmHWM']:.0f} MB)")  # fmt: skip
        print(h.table(o.results))
        mix = o.results[0]
        ratio, (_, p99) = mix.ratio(), mix.latency()
        if o.label == "seed":
            ok = ratio >= TARGET_RATIO_SEED and p99 <= TARGET_P99_MS
            print(
                f"target (seed): ratio {ratio:.2f} >= {TARGET_RATIO_SEED} and p99 "
                f"{p99:.2f} ms <= {TARGET_P99_MS:g} ms: {'PASS' if ok else 'FAIL'}"
            )
        else:
            rss = o.rss_after_run["VmRSS"]
            ok = ratio >= TARGET_RATIO_SYNTH and rss <= TARGET_RSS_MB
            print(
                f"target ({o.items:,} items): ratio {ratio:.2f} >= {TARGET_RATIO_SYNTH} and "
                f"worker RSS {rss:.0f} MB <= {TARGET_RSS_MB:g} MB: {'PASS' if ok else 'FAIL'}"
            )
        if o.label == "seed" and len(o.results) > 1:
            uncached = o.results[1].ratio()
            verdict = "PASS" if uncached >= TARGET_RATIO_UNCACHED else "FAIL"
            print(f"target (seed, every question new): ratio {uncached:.2f} >= "
                  f"{TARGET_RATIO_UNCACHED}: {verdict}")  # fmt: skip
        if any(r.errors() for r in o.results):
            print("warning: some runs had socket errors or unexpected statuses (errors column)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
