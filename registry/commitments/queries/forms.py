"""SQL for the commitment forms: versions like the list's, never overwritten."""

from __future__ import annotations

import datetime as dt

import asyncpg

from registry.commitments.models import (
    DEFAULT_CHECK,
    DEFAULT_CHECK_DAYS,
    DEFAULT_LIABILITY,
    METHODS,
    PLEDGE_METHODS,
    Form,
    FormIn,
    default_obligation,
)
from registry.infra.db import many

COLUMNS = """id, code, valid_from, valid_to, item_name, basis, obligation, methods, liability,
    check_method, check_days, changed_by, change_reason, recorded_at, superseded_at"""
IN_FORCE = "superseded_at IS NULL AND valid_from <= {d} AND (valid_to IS NULL OR valid_to > {d})"


async def current(conn: asyncpg.Connection, code: str, day: dt.date) -> Form | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM commitment_forms WHERE code = $1 AND {IN_FORCE.format(d='$2')}",
        code,
        day,
    )
    return many(Form, [row])[0] if row else None


async def get(conn: asyncpg.Connection, form_id: int) -> Form | None:
    row = await conn.fetchrow(f"SELECT {COLUMNS} FROM commitment_forms WHERE id = $1", form_id)
    return many(Form, [row])[0] if row else None


async def history(conn: asyncpg.Connection, code: str) -> list[Form]:
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM commitment_forms WHERE code = $1"
        " ORDER BY valid_from DESC, recorded_at DESC",
        code,
    )
    return many(Form, rows)


async def in_force(conn: asyncpg.Connection, day: dt.date) -> list[Form]:
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM commitment_forms WHERE {IN_FORCE.format(d='$1')} ORDER BY code",
        day,
    )
    return many(Form, rows)


async def add_version(
    conn: asyncpg.Connection, code: str, new: FormIn, actor: str, today: dt.date
) -> tuple[Form | None, Form]:
    """Close the version in force (supersede it when it began today) and add the new one from
    today. Returns (before, after); the caller holds the transaction and writes the audit."""
    before = await current(conn, code, today)
    if before is not None:
        if before.valid_from >= today:
            await conn.execute(
                "UPDATE commitment_forms SET superseded_at = now() WHERE id = $1", before.id
            )
        else:
            await conn.execute(
                "UPDATE commitment_forms SET valid_to = $2 WHERE id = $1", before.id, today
            )
    valid_to = before.valid_to if before is not None else None
    row = await conn.fetchrow(
        f"""
        INSERT INTO commitment_forms (code, valid_from, valid_to, item_name, basis, obligation,
            methods, liability, check_method, check_days, changed_by, change_reason)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        RETURNING {COLUMNS}
        """,
        code,
        today,
        valid_to,
        new.item_name,
        new.basis,
        new.obligation,
        new.methods,
        new.liability,
        new.check_method,
        new.check_days,
        actor,
        new.reason,
    )
    assert row is not None
    return before, many(Form, [row])[0]


async def seed_defaults(conn: asyncpg.Connection, actor: str) -> int:
    """A default form for every abolished item in force whose methods name a commitment and
    that never had a form (an ended one stays ended): from the item's own name, decision and
    replacement text, with the standard liability and check wording. Run after every migration
    and seeding, so upgraded databases get them too."""
    rows = await conn.fetch(
        """
        SELECT v.code, v.name, v.decision_doc, v.replacement, v.valid_from
        FROM certificate_versions v
        WHERE v.superseded_at IS NULL AND v.valid_to IS NULL AND v.status = 'abolished'
          AND v.replacement_methods && $1::text[]
          AND NOT EXISTS (SELECT 1 FROM commitment_forms f WHERE f.code = v.code)
        ORDER BY v.code
        """,
        list(PLEDGE_METHODS),
    )
    if not rows:
        return 0
    await conn.executemany(
        """
        INSERT INTO commitment_forms (code, valid_from, item_name, basis, obligation, methods,
            liability, check_method, check_days, changed_by, change_reason)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '初始承诺书')
        """,
        [
            (
                r["code"],
                r["valid_from"],
                r["name"],
                r["decision_doc"],
                default_obligation(r["name"], r["replacement"]),
                list(METHODS),
                DEFAULT_LIABILITY,
                f"{DEFAULT_CHECK}，{DEFAULT_CHECK_DAYS}个工作日内完成",
                DEFAULT_CHECK_DAYS,
                actor,
            )
            for r in rows
        ],
    )
    return len(rows)
