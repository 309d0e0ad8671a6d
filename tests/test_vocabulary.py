"""The checker's vocabulary in PostgreSQL: shipped defaults reach every installation (fresh,
imported, upgraded) without undoing the office's edits; versions, audit rows, the app role's
rights and the NOTIFY that makes every worker rebuild."""

from __future__ import annotations

import asyncio
import csv
import shutil
import time
from pathlib import Path

import asyncpg
import msgspec
import pytest

from registry.catalogue import transfer
from registry.catalogue.queries import shipped_vocabulary
from registry.catalogue.queries import vocabulary as vq
from registry.catalogue.vocab import LICENCE_HEADERS, TERM_HEADERS, Licence, Term, TermKind
from registry.checker import lookup
from registry.cli import migrate_and_seed
from registry.infra import clock, migrate
from registry.infra.db import SingleConnectionPool, connect
from registry.infra.listen import LIST, listen_for_changes

TERMS = [
    {"key": "SY-HJ-001", "kind": "事项", "phrases": "上户口；报户口", "targets": "户口登记"},
    {"key": "MC-001", "kind": "证明", "phrases": "良民证", "targets": "无犯罪记录证明"},
]
LICENCES = [
    {"key": "ZZ-001", "name": "居民户口簿", "aliases": "户口本", "issuer": "公安机关"},
    {"key": "ZZ-002", "name": "结婚证", "aliases": "", "issuer": "民政部门"},
]


def write_seed(directory: Path, terms: list[dict[str, str]], licences: list[dict[str, str]]):
    """The shipped thesaurus and licence files, in the Chinese headers the office writes."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, headers, rows in (
        ("thesaurus.csv", TERM_HEADERS, terms),
        ("licences.csv", LICENCE_HEADERS, licences),
    ):
        with (directory / name).open("w", encoding="utf-8-sig", newline="") as f:
            out = csv.writer(f)
            out.writerow(headers)
            for row in rows:
                out.writerow([row.get(field, "") for field in headers.values()])
    return directory


def current_keys(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(r["key"] for r in rows)


async def snapshot(conn: asyncpg.Connection) -> dict[str, list[tuple[str, str, bool]]]:
    """Every version of every entry: (key, source, current)."""
    out = {}
    for table in ("thesaurus_terms", "licences"):
        rows = await conn.fetch(
            f"SELECT key, source, valid_to IS NULL AS live FROM {table} ORDER BY key, id"
        )
        out[table] = [(r["key"], r["source"], r["live"]) for r in rows]
    return out


async def test_a_fresh_database_served_without_seeding_gets_the_defaults(
    scratch_database, settings, tmp_path
):
    """`registry serve --no-seed` on an empty database: no list, but the shipped words."""
    seeded_settings = msgspec.structs.replace(
        settings, seed_dir=write_seed(tmp_path / "seed", TERMS, LICENCES)
    )
    async with scratch_database("vocab_fresh") as dsn:
        await migrate_and_seed(dsn, seeded_settings, seed=False)
        conn = await connect(dsn)
        try:
            assert await conn.fetchval("SELECT count(*) FROM certificates") == 0
            vocabulary = await vq.current(conn)
            assert [t.key for t in vocabulary.terms] == ["MC-001", "SY-HJ-001"]
            assert vocabulary.terms[1].phrases == ("上户口", "报户口")
            assert vocabulary.terms[1].kind is TermKind.MATTER
            assert [lic.key for lic in vocabulary.licences] == ["ZZ-001", "ZZ-002"]
            assert vocabulary.licences[0].aliases == ("户口本",)
        finally:
            await conn.close()


async def test_an_imported_and_upgraded_database_gets_the_defaults_and_keeps_office_edits(
    scratch_database, settings, tmp_path
):
    seed = write_seed(tmp_path / "seed", TERMS, LICENCES)
    new = msgspec.structs.replace(settings, seed_dir=seed)
    before = tmp_path / "migrations"  # the release before this one
    before.mkdir()
    for path in migrate.migration_files(settings.migrations_dir):
        if path.name < "0015":
            shutil.copy(path, before / path.name)
    async with scratch_database("vocab_upgrade") as dsn:
        conn = await connect(dsn)
        try:
            await migrate.apply(conn, before)
            # The county's own list, imported (`registry import --apply`), never seeded. This
            # release's importer reads through 0018's versions_in_force(); the older release's
            # did not: lend the function for the import and take it back, so the schema is the
            # old one again before the upgrade.
            # Likewise 0019's replacement_kind column, which this release's importer writes.
            kind = settings.migrations_dir / "0019_replacement_kind.sql"
            await conn.execute(kind.read_text(encoding="utf-8"))
            in_force = settings.migrations_dir / "0018_in_force.sql"
            await conn.execute(in_force.read_text(encoding="utf-8"))
            table = transfer.read_file(settings.seed_dir / "certificates.csv")
            report = await transfer.import_table(conn, table, apply=True, actor="cli", reason="x")
            assert report.applied and not report.errors
            await conn.execute("DROP FUNCTION versions_in_force(date)")
            await conn.execute("ALTER TABLE certificate_versions DROP COLUMN replacement_kind")
            items = await conn.fetchval("SELECT count(*) FROM certificates")

            await migrate_and_seed(dsn, new, seed=False)  # the upgrade: 0015 and the defaults
            first = await snapshot(conn)
            assert first == {
                "thesaurus_terms": [("MC-001", "shipped", True), ("SY-HJ-001", "shipped", True)],
                "licences": [("ZZ-001", "shipped", True), ("ZZ-002", "shipped", True)],
            }
            assert await conn.fetchval("SELECT count(*) FROM certificates") == items

            await migrate_and_seed(dsn, new, seed=False)  # idempotent
            assert await snapshot(conn) == first

            # The office edits one word and retires one licence; the next run undoes neither.
            term = await vq.get(conn, vq.TERMS, "SY-HJ-001")
            edited = msgspec.structs.replace(term.entry(), phrases=("上户口", "落户口"))
            await vq.edit(conn, vq.TERMS, "SY-HJ-001", term.id, edited, actor="o", reason="r")
            retired = await vq.get(conn, vq.LICENCES, "ZZ-002")
            await vq.retire(conn, vq.LICENCES, "ZZ-002", retired.id, actor="o", reason="r")
            # A later release ships one more entry, and a changed default for an old key.
            more = [{**TERMS[0], "phrases": "上户口"}, TERMS[1]]
            more.append(
                {"key": "MC-002", "kind": "证明", "phrases": "出生证", "targets": "出生医学证明"}
            )
            write_seed(seed, more, LICENCES)
            await migrate_and_seed(dsn, new, seed=False)

            after = await snapshot(conn)
            assert after["thesaurus_terms"] == [
                ("MC-001", "shipped", True),
                ("MC-002", "shipped", True),  # new in this release
                ("SY-HJ-001", "shipped", False),
                ("SY-HJ-001", "office", True),  # the office's edit stays current
            ]
            assert after["licences"] == [("ZZ-001", "shipped", True), ("ZZ-002", "shipped", False)]
            now = await vq.current(conn)
            assert {t.key: t.phrases for t in now.terms}["SY-HJ-001"] == ("上户口", "落户口")
            assert [lic.key for lic in now.licences] == ["ZZ-001"]  # not resurrected
            loads = await conn.fetch(
                "SELECT after FROM audit_log WHERE action = 'vocabulary.shipped' ORDER BY id"
            )
            assert [r["after"] for r in loads] == [
                {"thesaurus": ["MC-001", "SY-HJ-001"], "licences": ["ZZ-001", "ZZ-002"]},
                {"thesaurus": ["MC-002"], "licences": []},
            ]
        finally:
            await conn.close()


async def test_shipped_files_with_repeated_or_empty_entries_are_refused(conn):
    bad = vq.Vocabulary(
        terms=(
            Term(key="MC-001", kind=TermKind.NAME, phrases=("良民证",), targets=()),
            Term(key="MC-001", kind=TermKind.NAME, phrases=("出生证",), targets=("出生证明",)),
        )
    )
    with pytest.raises(ValueError, match="MC-001 重复") as refused:
        await shipped_vocabulary.load_shipped(conn, bad)
    assert "规范用语为空" in str(refused.value)


def matter(*phrases: str, targets: tuple[str, ...] = ("户口登记",)) -> Term:
    return Term(key="", kind=TermKind.MATTER, phrases=phrases, targets=targets, domain="户籍管理")


async def test_add_edit_retire_make_versions_and_one_audit_row_each(conn):
    key = await vq.add(conn, vq.TERMS, matter("迁户口测试"), actor="sup", reason="窗口反映")
    assert key.startswith("SY-O-") and len(key) == len("SY-O-0001")
    first = await vq.get(conn, vq.TERMS, key)
    assert first.source == "office" and first.changed_by == "sup" and first.reason == "窗口反映"

    changed = matter("迁户口测试", "挪户口测试")
    await vq.edit(conn, vq.TERMS, key, first.id, changed, actor="sup", reason="补充说法")
    await vq.retire(conn, vq.TERMS, key, (await vq.get(conn, vq.TERMS, key)).id, actor="sup",
                    reason="不再需要")  # fmt: skip

    versions = await vq.history(conn, vq.TERMS, key)
    assert [v.phrases for v in versions] == [["迁户口测试", "挪户口测试"], ["迁户口测试"]]
    assert all(v.valid_to is not None for v in versions)  # retired: nothing current
    assert versions[1].valid_to == versions[0].valid_from  # edit: closed as the next began
    assert await vq.get(conn, vq.TERMS, key) is None
    assert key not in {t.key for t in (await vq.current(conn)).terms}

    audits = await conn.fetch(
        "SELECT action, entity, actor, before, after, reason FROM audit_log"
        " WHERE entity_id = $1 ORDER BY id",
        key,
    )
    assert [(a["action"], a["entity"], a["reason"]) for a in audits] == [
        ("thesaurus.add", "thesaurus", "窗口反映"),
        ("thesaurus.edit", "thesaurus", "补充说法"),
        ("thesaurus.retire", "thesaurus", "不再需要"),
    ]
    assert audits[0]["before"] is None and audits[0]["after"]["phrases"] == ["迁户口测试"]
    assert audits[1]["before"]["phrases"] == ["迁户口测试"]
    assert audits[1]["after"]["phrases"] == ["迁户口测试", "挪户口测试"]
    assert audits[2]["before"]["kind"] == "matter" and audits[2]["after"] is None
    retired = await vq.retirement(conn, vq.TERMS, key)
    assert retired["actor"] == "sup" and retired["reason"] == "不再需要"


async def test_licences_are_versioned_and_audited_the_same_way(conn):
    lic = Licence(key="", name="测试许可证", aliases=("测许证",), issuer="县测试局")
    key = await vq.add(conn, vq.LICENCES, lic, actor="sup", reason="新增")
    assert key.startswith("ZZ-O-")
    old = await vq.get(conn, vq.LICENCES, key)
    renamed = msgspec.structs.replace(lic, rule="窗口可查看原件")
    await vq.edit(conn, vq.LICENCES, key, old.id, renamed, actor="sup", reason="补充规则")
    now = await vq.get(conn, vq.LICENCES, key)
    assert now.rule == "窗口可查看原件" and now.entry().aliases == ("测许证",)
    await vq.retire(conn, vq.LICENCES, key, now.id, actor="sup", reason="停用")
    actions = await conn.fetch(
        "SELECT action FROM audit_log WHERE entity = 'licence' AND entity_id = $1 ORDER BY id", key
    )
    assert [a["action"] for a in actions] == ["licence.add", "licence.edit", "licence.retire"]
    assert len(await vq.history(conn, vq.LICENCES, key)) == 2


async def test_stale_unchanged_and_taken_writes_are_refused_and_write_nothing(conn):
    key = await vq.add(conn, vq.TERMS, matter("办暂住测试"), actor="sup", reason="r")
    v1 = await vq.get(conn, vq.TERMS, key)
    await vq.edit(conn, vq.TERMS, key, v1.id, matter("办暂住测试", "办居住证测试"),
                  actor="sup", reason="r")  # fmt: skip
    audits = await conn.fetchval("SELECT count(*) FROM audit_log")
    with pytest.raises(vq.Stale):  # a form built from v1
        await vq.edit(conn, vq.TERMS, key, v1.id, matter("别的测试"), actor="sup", reason="r")
    with pytest.raises(vq.Stale):
        await vq.retire(conn, vq.TERMS, key, v1.id, actor="sup", reason="r")
    v2 = await vq.get(conn, vq.TERMS, key)
    with pytest.raises(vq.Unchanged):
        await vq.edit(conn, vq.TERMS, key, v2.id, v2.entry(), actor="sup", reason="r")
    with pytest.raises(vq.Taken) as taken:  # the same phrase, the same kind, another entry
        await vq.add(conn, vq.TERMS, matter("办居住证测试"), actor="sup", reason="r")
    assert taken.value.taken == {"办居住证测试": key}
    # The same words as a certificate's name are another kind: allowed.
    name = Term(key="", kind=TermKind.NAME, phrases=("办居住证测试",), targets=("居住证明",))
    assert (await vq.add(conn, vq.TERMS, name, actor="sup", reason="r")).startswith("MC-O-")
    assert await conn.fetchval("SELECT count(*) FROM audit_log") == audits + 1
    assert len(await vq.history(conn, vq.TERMS, key)) == 2


async def test_a_clash_an_entry_already_has_does_not_block_its_other_edits(conn):
    """Shipped data may give two entries one phrase; editing either for something else works."""
    both = vq.Vocabulary(
        terms=(
            Term(key="SY-T-901", kind=TermKind.MATTER, phrases=("重名测试",), targets=("甲",)),
            Term(key="SY-T-902", kind=TermKind.MATTER, phrases=("重名测试",), targets=("乙",)),
        )
    )
    assert await shipped_vocabulary.load_shipped(conn, both) == (2, 0)
    v = await vq.get(conn, vq.TERMS, "SY-T-901")
    noted = msgspec.structs.replace(v.entry(), note="补充")
    await vq.edit(conn, vq.TERMS, "SY-T-901", v.id, noted, actor="s", reason="r")
    # A phrase the edit newly takes from another entry is still refused (that one only).
    other = await vq.add(conn, vq.TERMS, matter("办暂住测试二"), actor="s", reason="r")
    v = await vq.get(conn, vq.TERMS, "SY-T-902")
    both_phrases = msgspec.structs.replace(v.entry(), phrases=("重名测试", "办暂住测试二"))
    with pytest.raises(vq.Taken) as taken:
        await vq.edit(conn, vq.TERMS, "SY-T-902", v.id, both_phrases, actor="s", reason="r")
    assert taken.value.taken == {"办暂住测试二": other}


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE thesaurus_terms SET phrases = '{改}' WHERE key = $1",
        "UPDATE thesaurus_terms SET valid_to = now() - interval '1 day'"
        " WHERE key = $1 AND valid_to IS NOT NULL",
        "DELETE FROM thesaurus_terms WHERE key = $1",
    ],
)
async def test_versions_are_only_ever_closed_even_by_the_owner(conn, sql):
    key = await vq.add(conn, vq.TERMS, matter("只关闭测试"), actor="sup", reason="r")
    v1 = await vq.get(conn, vq.TERMS, key)
    await vq.edit(conn, vq.TERMS, key, v1.id, matter("只关闭测试", "二"), actor="s", reason="r")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with conn.transaction():
            await conn.execute(sql, key)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with conn.transaction():
            await conn.execute("TRUNCATE licences")


async def test_the_application_role_cannot_delete_or_truncate(embedded, seeded):
    if embedded is None:
        pytest.skip("the application role is the embedded server's")
    app = await asyncpg.connect(seeded.replace("registry@", "registry_app@", 1))
    try:
        for table in ("thesaurus_terms", "licences"):
            await app.fetchval(f"SELECT count(*) FROM {table}")  # it can read
            for sql in (f"DELETE FROM {table}", f"TRUNCATE {table}"):
                with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                    await app.execute(sql)
        tr = app.transaction()  # it can add and close versions (rolled back here)
        await tr.start()
        await app.execute(
            "INSERT INTO thesaurus_terms (key, kind, phrases, targets, changed_by, source)"
            " VALUES ('SY-O-9999', 'matter', '{角色测试}', '{户口登记}', 't', 'office')"
        )
        await app.execute("UPDATE thesaurus_terms SET valid_to = now() WHERE key = 'SY-O-9999'")
        await app.fetchval("SELECT nextval('thesaurus_office_keys')")
        await tr.rollback()
    finally:
        await app.close()


async def test_a_vocabulary_change_is_notified_to_every_worker(seeded):
    heard = asyncio.Event()
    # The list's channel: the checker's indexes depend on the vocabulary.
    task = asyncio.create_task(listen_for_changes(seeded, {LIST: heard.set}, heard.set))
    try:
        await asyncio.wait_for(heard.wait(), 5)  # the listener reports once on connect
        for table in ("thesaurus_terms", "licences"):
            heard.clear()
            conn = await connect(seeded)
            try:
                sent = time.monotonic()
                # A statement-level trigger fires even when no row changes: nothing is altered.
                await conn.execute(f"UPDATE {table} SET valid_to = valid_to WHERE false")
            finally:
                await conn.close()
            await asyncio.wait_for(heard.wait(), 2)
            assert time.monotonic() - sent < 1.0, table
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_checker_indexes_are_built_with_the_current_vocabulary(conn):
    key = await vq.add(conn, vq.TERMS, matter("索引测试说法"), actor="sup", reason="r")
    index = await lookup.Lookup().index(SingleConnectionPool(conn), clock.today())
    terms = {t.key: t for t in index.vocab.terms}
    assert terms[key].phrases == ("索引测试说法",)
    assert index.vocab == await vq.current(conn)


async def test_complaints_may_be_classified_out_of_scope_or_undetermined(conn):
    check = await conn.fetchval(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conname = 'complaints_classification_check'"
    )
    for value in ("abolished", "unlisted", "retained_out_of_scope", "retained_in_scope",
                  "out_of_scope", "undetermined"):  # fmt: skip
        assert f"'{value}'" in check
