"""The `registry` command: serve, migrate, seed, import, export."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from registry.catalogue import transfer, vocab
from registry.catalogue.queries import shipped_vocabulary
from registry.commitments.queries import forms as commitment_forms
from registry.infra import migrate
from registry.infra.db import connect
from registry.infra.settings import Settings
from registry.workflow import workdays
from registry.workflow.queries import deadlines as deadlines_q

SEED_ACTOR = "seed"


class Dsns(NamedTuple):
    app: str  # what the site and the data commands connect as
    owner: str  # what migrations and seeding connect as


def resolve_dsns(settings: Settings) -> Dsns:
    """DATABASE_URL (and DATABASE_OWNER_URL for migrations) if set; otherwise the embedded
    PostgreSQL, started if needed and released when this command exits."""
    if settings.database_url:
        return Dsns(settings.database_url, settings.database_owner_url or settings.database_url)
    from registry.infra import embedded_pg

    server = embedded_pg.ensure_server(settings.home)
    embedded_pg.stop_on_signals(server)
    return Dsns(server.dsn(), server.owner_dsn())


def resolve_dsn(settings: Settings) -> str:
    """The application's DSN, after migrating (as the owner) whatever is pending."""
    dsns = resolve_dsns(settings)
    asyncio.run(migrate_and_seed(dsns.owner, settings, seed=False))
    return dsns.app


async def migrate_and_seed(dsn: str, settings: Settings, *, seed: bool) -> None:
    """Under the migration lock, so concurrent commands on a fresh database take turns."""
    conn = await connect(dsn)
    try:
        await migrate.check_database(conn)
        async with migrate.locked(conn):
            for name in await migrate.apply(conn, settings.migrations_dir):
                print(f"applied {name}", file=sys.stderr)
            await deadlines_q.sync_official_years(conn, workdays.OFFICIAL_YEARS)
            await load_vocabulary(conn, settings.seed_dir)
            if seed and not await conn.fetchval("SELECT count(*) FROM certificates"):
                await load_seed(conn, settings.seed_dir)
            # 告知承诺 items get a default commitment form (the office edits it later).
            if forms := await commitment_forms.seed_defaults(conn, SEED_ACTOR):
                print(f"added {forms} commitment forms", file=sys.stderr)
    finally:
        await conn.close()


async def load_vocabulary(conn: Any, seed_dir: Path) -> None:
    """The shipped words and licences whose keys this database never had (in any version):
    every migration run, so imported and upgraded databases get them too."""
    shipped = vocab.Vocabulary(
        terms=vocab.read_terms(seed_dir / vocab.THESAURUS_CSV.name),
        licences=vocab.read_licences(seed_dir / vocab.LICENCES_CSV.name),
    )
    try:
        terms, licences = await shipped_vocabulary.load_shipped(conn, shipped)
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc
    if terms or licences:
        print(f"loaded {terms} thesaurus terms, {licences} licences", file=sys.stderr)


async def load_seed(conn: object, seed_dir: Path) -> transfer.ImportReport:
    """Seed through the same importer an official list would go through."""
    await transfer.import_departments(conn, transfer.read_file(seed_dir / "departments.csv"))  # type: ignore[arg-type]
    report = await transfer.import_table(
        conn,  # type: ignore[arg-type]
        transfer.read_file(seed_dir / "certificates.csv"),
        apply=True,
        actor=SEED_ACTOR,
        reason="初始清单",  # public fields never show it: the initial list is one event
    )
    if report.errors:
        raise SystemExit(f"seed data has errors: {report.errors[:3]}")
    print(f"seeded {len(report.added)} certificates", file=sys.stderr)
    return report


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from registry.infra.serving import HeaderTimeoutProtocol

    dsns = resolve_dsns(settings)
    asyncio.run(migrate_and_seed(dsns.owner, settings, seed=not args.no_seed))
    os.environ["DATABASE_URL"] = dsns.app
    print(f"serving on http://{args.host}:{args.port}", file=sys.stderr)
    uvicorn.run(
        "registry.web.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        http=HeaderTimeoutProtocol,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(migrate_and_seed(resolve_dsns(settings).owner, settings, seed=False))
    return 0


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(migrate_and_seed(resolve_dsns(settings).owner, settings, seed=True))
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """The file is read first, in a child process within sheets.DEFAULT's limits: a file that
    cannot be imported is refused in seconds, before the database is even started."""
    from registry.catalogue import sheetproc
    from registry.catalogue.queries import imports as iq

    reason = " ".join((args.reason or "").split())[:500]
    if args.apply and not reason:
        print(REASON_MISSING, file=sys.stderr)
        return 2
    if args.official and not args.apply:
        print("错误：--official 只能和 --apply 一起用（预览不会改变清单）", file=sys.stderr)
        return 2
    try:
        table = asyncio.run(sheetproc.read_file(Path(args.file)))
    except (transfer.TransferError, OSError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    dsn = resolve_dsn(settings)

    async def run() -> transfer.ImportReport:
        conn = await connect(dsn)
        try:
            async with conn.transaction():
                report = await transfer.import_table(
                    conn, table, apply=args.apply, actor="cli", reason=reason
                )
                if args.official and not report.errors:
                    await iq.mark_official(conn, actor="cli", reason=reason)
            return report
        finally:
            await conn.close()

    try:
        report = asyncio.run(run())
    except transfer.TransferError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    if args.json:
        sys.stdout.write(msgspec.json.encode(report.counts()).decode() + "\n")
    else:
        print_report(report, apply=args.apply)
    return 1 if report.errors else 0


REASON_MISSING = (
    '错误：--apply 需要 --reason "…"：写明这次变更的公开理由（显示在变更记录中，'
    '例如 --reason "按县政府2019年第3次常务会议决定更新清单"）'
)
PRINTED = 1_000  # lines of each kind a human report prints; --json lists every error


def print_report(report: transfer.ImportReport, *, apply: bool) -> None:
    print(
        f"新增 {len(report.added)}，变更 {len(report.changed)}，未变 {len(report.unchanged)}，"
        f"错误 {len(report.errors)}，提示 {len(report.warnings)}"
    )
    sections: list[tuple[list[str], str]] = [
        ([f"  + {name}" for name in report.added[:PRINTED]], "新增"),
        (
            [f"  ~ {c}：{'、'.join(report.changes.get(c, []))}" for c in report.changed[:PRINTED]],
            "变更",
        ),
        ([f"  第 {e.row} 行：{e.message}" for e in report.errors[:PRINTED]], "错误"),
        ([f"  提示：第 {w.row} 行：{w.message}" for w in report.warnings[:PRINTED]], "提示"),
    ]
    totals = (len(report.added), len(report.changed), len(report.errors), len(report.warnings))
    for (lines, label), total in zip(sections, totals, strict=True):
        for line in lines:
            print(line)
        if total > len(lines):
            more = f"  ……另有 {total - len(lines):,} 项{label}未列出"
            print(more + ("（--json 列出全部）" if label in ("错误", "提示") else ""))
    if report.errors:
        print("文件有错误，没有写入任何内容。")
    elif report.applied:
        print("已写入。")
    elif apply:
        print("没有需要写入的变更。")
    else:
        print("这是预览（dry-run）：加 --apply 才会写入。")


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from registry.catalogue.queries import certificates as q

    dsn = resolve_dsn(settings)

    async def run() -> bytes:
        conn = await connect(dsn)
        try:
            items = await q.list_latest(conn)
        finally:
            await conn.close()
        writer = {
            "csv": transfer.export_csv,
            "xlsx": transfer.export_xlsx,
            "json": transfer.export_json,
        }[args.format]
        return writer(items)

    data = asyncio.run(run())
    if args.output:
        Path(args.output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    """No default accounts: each is made here, with a typed or generated password."""
    import getpass
    import secrets

    from registry.accounts import auth
    from registry.accounts.queries import users
    from registry.infra import audit

    if args.role == "department" and not args.department:
        print("错误：department 角色必须用 --department 指定部门编码", file=sys.stderr)
        return 2
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("密码（留空则自动生成）：")
    else:
        password = ""
    generated = not password
    password = password or secrets.token_urlsafe(12)
    if len(password) < 10:
        print("错误：密码至少 10 个字符", file=sys.stderr)
        return 2
    dsn = resolve_dsn(settings)

    async def run() -> None:
        conn = await connect(dsn)
        try:
            async with conn.transaction():
                await users.insert_user(
                    conn,
                    username=args.name,
                    display_name=args.display_name or args.name,
                    password_hash=auth.hash_password(password),
                    role=args.role,
                    department_code=args.department if args.role == "department" else None,
                )
                await audit.record(
                    conn,
                    actor="cli",
                    action="user.add",
                    entity="user",
                    entity_id=args.name,
                    after={"role": args.role, "department": args.department},
                )
        finally:
            await conn.close()

    try:
        asyncio.run(run())
    except Exception as exc:  # asyncpg's constraint errors: name taken, bad department
        print(f"错误：无法创建用户：{exc}", file=sys.stderr)
        return 1
    print(f"已创建用户 {args.name}（{args.role}）")
    if generated:
        print(f"初始密码：{password}")
    return 0


def cmd_token_add(args: argparse.Namespace, settings: Settings) -> int:
    """An API token for a department's own system, printed once (only its hash is kept)."""
    from registry.accounts import tokens

    dsn = resolve_dsn(settings)

    async def run() -> str | None:
        conn = await connect(dsn)
        try:
            errors = await tokens.check_new(conn, args.department, args.label.strip())
            if errors:
                for e in errors:
                    print(f"错误：{e.field}：{e.message}", file=sys.stderr)
                return None
            _, token = await tokens.issue(
                conn, department=args.department, label=args.label.strip(), actor="cli"
            )
            return token
        finally:
            await conn.close()

    token = asyncio.run(run())
    if token is None:
        return 2
    print(f"已为部门 {args.department} 开设接口令牌（只显示这一次）：")
    print(token)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="registry", description="长垣县证明事项清单与投诉平台")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="migrate, seed an empty database, serve the site")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=1)
    s.add_argument("--no-seed", action="store_true")
    s.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="apply pending migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("seed", help="load seed_data/ into an empty database").set_defaults(
        func=cmd_seed
    )
    i = sub.add_parser("import", help="import a CSV/XLSX list (dry-run unless --apply)")
    i.add_argument("file")
    i.add_argument("--apply", action="store_true")
    i.add_argument("--json", action="store_true")
    i.add_argument("--reason", help="the public reason for the change (required with --apply)")
    i.add_argument(
        "--official",
        action="store_true",
        help="this file is the list the county government published (ends the notice)",
    )
    i.set_defaults(func=cmd_import)
    e = sub.add_parser("export", help="export the list")
    e.add_argument("--format", choices=["csv", "xlsx", "json"], default="csv")
    e.add_argument("--output")
    e.set_defaults(func=cmd_export)
    u = sub.add_parser("user", help="staff accounts").add_subparsers(dest="user_cmd", required=True)
    ua = u.add_parser("add", help="add a staff account")
    ua.add_argument("name")
    ua.add_argument("--role", choices=["admin", "supervisor", "department"], required=True)
    ua.add_argument("--department", help="department code, for the department role")
    ua.add_argument("--display-name")
    ua.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    ua.set_defaults(func=cmd_user_add)
    t = sub.add_parser("token", help="departments' API tokens")
    ta = t.add_subparsers(dest="token_cmd", required=True).add_parser("add", help="issue a token")
    ta.add_argument("--department", required=True, help="department code")
    ta.add_argument("--label", required=True, help="what the token is for (its system)")
    ta.set_defaults(func=cmd_token_add)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    code: int = args.func(args, settings)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
