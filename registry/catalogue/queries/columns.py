"""The certificate columns and the version in force, written once for every list query.

Constant SQL text built at import time from the Certificate struct: no value reaches it."""

from __future__ import annotations

import asyncpg
import msgspec

from registry.catalogue.models import Certificate

# Struct field -> certificate_versions column, where the two names differ.
_RENAMED = {"effective_from": "valid_from"}
# The Certificate fields in the Struct's order, and the column each is kept in: a new field
# is a column of the same name (tests/test_list_queries.py holds the table to it).
FIELDS: tuple[str, ...] = Certificate.__struct_fields__
COLUMNS: tuple[str, ...] = tuple(_RENAMED.get(f, f) for f in FIELDS)
FIELD_COLUMNS: tuple[tuple[str, str], ...] = tuple(zip(FIELDS, COLUMNS, strict=True))
# The SELECT list: a row named as the Struct, for msgspec.convert(dict(row), Certificate).
SELECT = ", ".join(c if c == f else f"{c} AS {f}" for f, c in FIELD_COLUMNS)
# The INSERT list, the same columns as stored.
INSERT = ", ".join(COLUMNS)

# FROM items (migration 0018): the versions in force on the date $1, and each item's newest
# version, scheduled ones included (the register as staff edit and export it).
IN_FORCE = "versions_in_force($1::date)"
LATEST = "versions_in_force('infinity')"


def to_certificate(row: asyncpg.Record) -> Certificate:
    """A row read with SELECT, whatever else it carries (a window total, a version id)."""
    return msgspec.convert({f: row[f] for f in FIELDS}, Certificate)
