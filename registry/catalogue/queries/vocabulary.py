"""SQL for the checker's vocabulary (thesaurus terms, licences), kept as versions: an edit
closes the current version and adds its successor, a retirement closes it; each write is one
transaction with one audit row. The shipped defaults: queries/shipped_vocabulary.py."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg
import msgspec

from registry.catalogue.vocab import Licence, Term, TermKind, Vocabulary
from registry.infra import audit
from registry.infra.db import many

# pg_advisory_xact_lock key for "changing the vocabulary": duplicate checks and writes of
# concurrent editors take turns.
VOCAB_LOCK = 0x7600_766F_6361_6273
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
E = TypeVar("E", Term, Licence)


class Version(msgspec.Struct, kw_only=True):
    id: int
    key: str
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    changed_by: str
    reason: str
    source: str


class TermVersion(Version, kw_only=True):
    kind: TermKind
    phrases: list[str]
    targets: list[str]
    domain: str
    note: str

    def entry(self) -> Term:
        return msgspec.convert(msgspec.to_builtins(self), Term, strict=False)


class LicenceVersion(Version, kw_only=True):
    name: str
    aliases: list[str]
    issuer: str
    rule: str
    legal_basis: str

    def entry(self) -> Licence:
        return msgspec.convert(msgspec.to_builtins(self), Licence, strict=False)


class Stale(Exception):
    """The form was built from a version that is no longer the current one: 409."""


class Unchanged(Exception):
    """The submitted entry is the current version: nothing to save."""


class Taken(Exception):
    """Words already used by another current entry: {word: that entry's key}."""

    def __init__(self, taken: dict[str, str]) -> None:
        super().__init__(", ".join(taken))
        self.taken = taken


async def current(conn: asyncpg.Connection) -> Vocabulary:
    """What the checker uses: the current version of every entry, in key order."""
    terms = await conn.fetch(
        "SELECT key, kind, phrases, targets, domain, note FROM thesaurus_terms"
        " WHERE valid_to IS NULL ORDER BY key"
    )
    licences = await conn.fetch(
        "SELECT key, name, aliases, issuer, rule, legal_basis FROM licences"
        " WHERE valid_to IS NULL ORDER BY key"
    )
    return Vocabulary(terms=tuple(many(Term, terms)), licences=tuple(many(Licence, licences)))


# ---- shipped defaults ---------------------------------------------------------------------


# ---- the two kinds of entry ---------------------------------------------------------------


@dataclass(frozen=True)
class Entity(Generic[E]):
    """One kind of entry: its SQL and how an entry becomes statement arguments and audit
    fields. `name` is the audit entity and action prefix (thesaurus.add, licence.retire …)."""

    name: str
    version: type[Version]
    get_sql: str
    history_sql: str
    close_sql: str
    insert_sql: str  # $1 key, then fields(entry)'s values, then changed_by, reason
    taken_sql: str  # $1 the entry's own key, $2 its words, then taken_args
    key_sql: str  # the next office key; $1 the prefix
    words: Callable[[E], list[str]]  # what may mean only one entry
    taken_args: Callable[[E], tuple[Any, ...]]
    prefix: Callable[[E], str]


def fields(entry: Term | Licence) -> dict[str, Any]:
    """What a version stores and an audit row records: everything but the key."""
    data: dict[str, Any] = msgspec.to_builtins(entry)
    data.pop("key")
    return data


TERM_COLUMNS = (
    "id, key, kind, phrases, targets, domain, note, valid_from, valid_to, changed_by, reason,"
    " source"
)
TERMS: Entity[Term] = Entity(
    name="thesaurus",
    version=TermVersion,
    get_sql=f"SELECT {TERM_COLUMNS} FROM thesaurus_terms WHERE key = $1 AND valid_to IS NULL",
    history_sql=f"SELECT {TERM_COLUMNS} FROM thesaurus_terms WHERE key = $1 ORDER BY id DESC",
    close_sql="UPDATE thesaurus_terms SET valid_to = now()"
    " WHERE key = $1 AND id = $2 AND valid_to IS NULL",
    insert_sql="""
        INSERT INTO thesaurus_terms
            (key, kind, phrases, targets, domain, note, changed_by, reason, source)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'office')
    """,
    # A phrase means one thing per kind.
    taken_sql="""
        SELECT p.word, min(t.key) AS key
        FROM thesaurus_terms t, unnest(t.phrases) AS p (word)
        WHERE t.valid_to IS NULL AND t.key <> $1 AND p.word = ANY($2::text[]) AND t.kind = $3
        GROUP BY p.word
    """,
    key_sql="SELECT $1::text || lpad(nextval('thesaurus_office_keys')::text, 4, '0')",
    words=lambda t: list(t.phrases),
    taken_args=lambda t: (str(t.kind),),
    # SY-O-0001: a matter's everyday words; MC-O-0001: a certificate name's.
    prefix=lambda t: "SY-O-" if t.kind is TermKind.MATTER else "MC-O-",
)
LICENCE_COLUMNS = (
    "id, key, name, aliases, issuer, rule, legal_basis, valid_from, valid_to, changed_by,"
    " reason, source"
)
LICENCES: Entity[Licence] = Entity(
    name="licence",
    version=LicenceVersion,
    get_sql=f"SELECT {LICENCE_COLUMNS} FROM licences WHERE key = $1 AND valid_to IS NULL",
    history_sql=f"SELECT {LICENCE_COLUMNS} FROM licences WHERE key = $1 ORDER BY id DESC",
    close_sql="UPDATE licences SET valid_to = now()"
    " WHERE key = $1 AND id = $2 AND valid_to IS NULL",
    insert_sql="""
        INSERT INTO licences
            (key, name, aliases, issuer, rule, legal_basis, changed_by, reason, source)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'office')
    """,
    # A name or alias names one licence.
    taken_sql="""
        SELECT p.word, min(l.key) AS key
        FROM licences l, unnest(array_prepend(l.name, l.aliases)) AS p (word)
        WHERE l.valid_to IS NULL AND l.key <> $1 AND p.word = ANY($2::text[])
        GROUP BY p.word
    """,
    key_sql="SELECT $1::text || lpad(nextval('licence_office_keys')::text, 4, '0')",
    words=lambda lic: [lic.name, *lic.aliases],
    taken_args=lambda lic: (),
    prefix=lambda lic: "ZZ-O-",
)


# ---- reads for the office's pages ---------------------------------------------------------


async def get(conn: asyncpg.Connection, entity: Entity[Any], key: str) -> Any:
    """The current version (None: no such key, or retired)."""
    row = await conn.fetchrow(entity.get_sql, key)
    return None if row is None else msgspec.convert(dict(row), entity.version)


async def history(conn: asyncpg.Connection, entity: Entity[Any], key: str) -> list[Any]:
    """Every version of an entry, newest first (empty: no such key)."""
    rows = await conn.fetch(entity.history_sql, key)
    return [msgspec.convert(dict(r), entity.version) for r in rows]


async def retirement(
    conn: asyncpg.Connection, entity: Entity[Any], key: str
) -> asyncpg.Record | None:
    """Who retired an entry, when and why: the audit log's row (a version keeps only when)."""
    return await conn.fetchrow(
        "SELECT at, actor, reason FROM audit_log WHERE entity = $1 AND entity_id = $2"
        " AND action = $1 || '.retire' ORDER BY id DESC LIMIT 1",
        entity.name,
        key,
    )


async def list_terms(
    conn: asyncpg.Connection,
    *,
    q: str | None = None,
    kind: str | None = None,
    domain: str | None = None,
    retired: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[TermVersion], int]:
    """Each entry's latest version: the current ones, or (retired) the last of retired ones."""
    rows = await conn.fetch(
        """
        SELECT id, key, kind, phrases, targets, domain, note, valid_from, valid_to, changed_by,
               reason, source, count(*) OVER () AS total
        FROM (SELECT DISTINCT ON (key) id, key, kind, phrases, targets, domain, note, valid_from,
                     valid_to, changed_by, reason, source
              FROM thesaurus_terms ORDER BY key, id DESC) AS latest
        WHERE (valid_to IS NOT NULL) = $1
          AND ($2::text IS NULL OR kind = $2)
          AND ($3::text IS NULL OR domain = $3)
          AND ($4::text IS NULL OR strpos(upper(key), upper($4)) > 0
               OR strpos(array_to_string(phrases, '|'), $4) > 0
               OR strpos(array_to_string(targets, '|'), $4) > 0
               OR strpos(note, $4) > 0)
        ORDER BY key
        LIMIT $5 OFFSET $6
        """,
        retired,
        kind,
        domain,
        q,
        limit,
        offset,
    )
    return _paged(rows, TermVersion)


async def term_domains(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        "SELECT DISTINCT domain FROM thesaurus_terms"
        " WHERE valid_to IS NULL AND domain <> '' ORDER BY domain"
    )
    return [r["domain"] for r in rows]


async def list_licences(
    conn: asyncpg.Connection,
    *,
    q: str | None = None,
    retired: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[LicenceVersion], int]:
    rows = await conn.fetch(
        """
        SELECT id, key, name, aliases, issuer, rule, legal_basis, valid_from, valid_to,
               changed_by, reason, source, count(*) OVER () AS total
        FROM (SELECT DISTINCT ON (key) id, key, name, aliases, issuer, rule, legal_basis,
                     valid_from, valid_to, changed_by, reason, source
              FROM licences ORDER BY key, id DESC) AS latest
        WHERE (valid_to IS NOT NULL) = $1
          AND ($2::text IS NULL OR strpos(upper(key), upper($2)) > 0
               OR strpos(name, $2) > 0 OR strpos(array_to_string(aliases, '|'), $2) > 0
               OR strpos(issuer, $2) > 0)
        ORDER BY key
        LIMIT $3 OFFSET $4
        """,
        retired,
        q,
        limit,
        offset,
    )
    return _paged(rows, LicenceVersion)


V = TypeVar("V", bound=Version)


def _paged(rows: list[asyncpg.Record], typ: type[V]) -> tuple[list[V], int]:
    total = int(rows[0]["total"]) if rows else 0
    items = [{k: v for k, v in r.items() if k != "total"} for r in rows]
    return msgspec.convert(items, list[typ]), total  # type: ignore[valid-type]


# ---- writes: each one transaction with one audit row --------------------------------------


async def add(
    conn: asyncpg.Connection, entity: Entity[E], entry: E, *, actor: str, reason: str
) -> str:
    """A new office entry under the next office key (entry.key is ignored); returns the key."""
    async with conn.transaction():
        await _lock(conn)
        await _refuse_taken(conn, entity, entry, "")
        key = str(await conn.fetchval(entity.key_sql, entity.prefix(entry)))
        await _insert(conn, entity, key, entry, actor, reason)
        await _audit(conn, entity, "add", key, None, fields(entry), actor, reason)
    return key


async def edit(
    conn: asyncpg.Connection,
    entity: Entity[E],
    key: str,
    expected: int,
    entry: E,
    *,
    actor: str,
    reason: str,
) -> None:
    """Close the version the form was built from (compare-and-set) and add its successor."""
    async with conn.transaction():
        await _lock(conn)
        old = await get(conn, entity, key)
        if old is None or old.id != expected:
            raise Stale(key)
        before, after = fields(old.entry()), fields(entry)
        if before == after:
            raise Unchanged(key)
        # Only words this edit adds: a clash the entry already had never blocks other changes.
        await _refuse_taken(conn, entity, entry, key, known=entity.words(old.entry()))
        await _close(conn, entity, key, expected)
        await _insert(conn, entity, key, entry, actor, reason)
        await _audit(conn, entity, "edit", key, before, after, actor, reason)


async def retire(
    conn: asyncpg.Connection,
    entity: Entity[Any],
    key: str,
    expected: int,
    *,
    actor: str,
    reason: str,
) -> None:
    """Close the current version with no successor: the checker no longer uses the entry."""
    async with conn.transaction():
        await _lock(conn)
        old = await get(conn, entity, key)
        if old is None or old.id != expected:
            raise Stale(key)
        await _close(conn, entity, key, expected)
        await _audit(conn, entity, "retire", key, fields(old.entry()), None, actor, reason)


async def _lock(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", VOCAB_LOCK)


async def _close(conn: asyncpg.Connection, entity: Entity[Any], key: str, version: int) -> None:
    if await conn.execute(entity.close_sql, key, version) != "UPDATE 1":
        raise Stale(key)


async def _insert(
    conn: asyncpg.Connection, entity: Entity[E], key: str, entry: E, actor: str, reason: str
) -> None:
    await conn.execute(entity.insert_sql, key, *fields(entry).values(), actor, reason)


async def _refuse_taken(
    conn: asyncpg.Connection, entity: Entity[E], entry: E, key: str, known: Sequence[str] = ()
) -> None:
    words = [w for w in entity.words(entry) if w not in known]
    rows = await conn.fetch(entity.taken_sql, key, words, *entity.taken_args(entry))
    if rows:
        raise Taken({r["word"]: r["key"] for r in rows})


async def _audit(
    conn: asyncpg.Connection,
    entity: Entity[Any],
    change: str,
    key: str,
    before: Any,
    after: Any,
    actor: str,
    reason: str,
) -> None:
    await audit.record(
        conn,
        actor=actor,
        action=f"{entity.name}.{change}",
        entity=entity.name,
        entity_id=key,
        before=before,
        after=after,
        reason=reason,
    )
