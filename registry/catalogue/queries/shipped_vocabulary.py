"""SQL loading the vocabulary shipped in seed_data/ (thesaurus.csv, licences.csv): every
migration run adds the entries whose keys this database never had, in any version."""

from __future__ import annotations

from collections import Counter

import asyncpg
import msgspec

from registry.catalogue.queries.vocabulary import KEY_RE
from registry.catalogue.vocab import Vocabulary
from registry.infra import audit

SHIPPED_ACTOR = "migrate"
SHIPPED_REASON = "随系统提供的默认词表"


def shipped_problems(vocabulary: Vocabulary) -> list[str]:
    """What would stop the shipped files from loading: bad or repeated keys, empty entries."""
    keys = [t.key for t in vocabulary.terms] + [lic.key for lic in vocabulary.licences]
    problems = [f"编号“{k}”格式不对" for k in keys if not KEY_RE.match(k)]
    problems += [f"编号 {k} 重复" for k, n in Counter(keys).items() if n > 1]
    problems += [f"{t.key}：说法为空" for t in vocabulary.terms if not t.phrases]
    problems += [f"{t.key}：规范用语为空" for t in vocabulary.terms if not t.targets]
    problems += [f"{lic.key}：证照名称为空" for lic in vocabulary.licences if not lic.name]
    return problems


async def load_shipped(conn: asyncpg.Connection, shipped: Vocabulary) -> tuple[int, int]:
    """Insert every shipped entry whose key never existed here (in any version): a fresh or
    upgraded database gets the defaults; an office edit or retirement stays. Idempotent; the
    caller holds the migration lock. Returns (terms, licences) inserted."""
    if problems := shipped_problems(shipped):
        raise ValueError("默认词表有错误：" + "；".join(problems[:5]))
    terms = msgspec.json.encode(shipped.terms).decode()
    licences = msgspec.json.encode(shipped.licences).decode()
    missing = await conn.fetchval(
        """
        SELECT EXISTS (SELECT FROM jsonb_to_recordset($1::text::jsonb) AS t (key text)
                       WHERE NOT EXISTS (SELECT FROM thesaurus_terms v WHERE v.key = t.key))
            OR EXISTS (SELECT FROM jsonb_to_recordset($2::text::jsonb) AS l (key text)
                       WHERE NOT EXISTS (SELECT FROM licences v WHERE v.key = l.key))
        """,
        terms,
        licences,
    )
    if not missing:
        return 0, 0  # no write, so no NOTIFY: running workers keep their indexes
    async with conn.transaction():
        added_terms = await conn.fetch(
            """
            INSERT INTO thesaurus_terms
                (key, kind, phrases, targets, domain, note, changed_by, reason, source)
            SELECT t.key, t.kind, t.phrases, t.targets, t.domain, t.note, $2, $3, 'shipped'
            FROM jsonb_to_recordset($1::text::jsonb) AS t (
                key text, kind text, phrases text[], targets text[], domain text, note text)
            WHERE NOT EXISTS (SELECT FROM thesaurus_terms v WHERE v.key = t.key)
            ORDER BY t.key
            RETURNING key
            """,
            terms,
            SHIPPED_ACTOR,
            SHIPPED_REASON,
        )
        added_licences = await conn.fetch(
            """
            INSERT INTO licences
                (key, name, aliases, issuer, rule, legal_basis, changed_by, reason, source)
            SELECT l.key, l.name, l.aliases, l.issuer, l.rule, l.legal_basis, $2, $3, 'shipped'
            FROM jsonb_to_recordset($1::text::jsonb) AS l (
                key text, name text, aliases text[], issuer text, rule text, legal_basis text)
            WHERE NOT EXISTS (SELECT FROM licences v WHERE v.key = l.key)
            ORDER BY l.key
            RETURNING key
            """,
            licences,
            SHIPPED_ACTOR,
            SHIPPED_REASON,
        )
        after = {
            "thesaurus": [r["key"] for r in added_terms],
            "licences": [r["key"] for r in added_licences],
        }
        await audit.record(
            conn,
            actor=SHIPPED_ACTOR,
            action="vocabulary.shipped",
            entity="vocabulary",
            after=after,
            reason=SHIPPED_REASON,
        )
    return len(added_terms), len(added_licences)
