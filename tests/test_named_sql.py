"""Named parameters for the SQL the code owns (registry/infra/namedsql.py), and the filing
statement bound by name (no database)."""

from __future__ import annotations

import re

import pytest

from registry.complaints.queries import complaints as q
from registry.infra.namedsql import NamedSQL


def test_names_become_numbers_and_casts_stay() -> None:
    sql = NamedSQL("SELECT :a::int, :b, 'x::y', :a + 1 WHERE c::text = :b")
    assert sql.sql == "SELECT $1::int, $2, 'x::y', $1 + 1 WHERE c::text = $2"
    assert sql.args(b="B", a=1) == (1, "B")


def test_a_missing_or_unknown_name_fails() -> None:
    sql = NamedSQL("SELECT :a, :b")
    with pytest.raises(TypeError, match=r"missing: \['b'\]"):
        sql.args(a=1)
    with pytest.raises(TypeError, match=r"unknown: \['c'\]"):
        sql.args(a=1, b=2, c=3)


def test_an_order_must_name_exactly_the_statements_parameters() -> None:
    assert NamedSQL("SELECT :a, :b", ("b", "a")).sql == "SELECT $2, $1"
    with pytest.raises(ValueError):
        NamedSQL("SELECT :a, :b", ("a",))


def test_the_filing_statement_keeps_its_numbering() -> None:
    """bench/complaints.py binds FILE_SQL by number: $1..$27 in FILE_ORDER."""
    assert q.FILING.names == q.FILE_ORDER and len(q.FILE_ORDER) == 27
    numbers = {int(n) for n in re.findall(r"\$(\d+)", q.FILE_SQL)}
    assert numbers == set(range(1, 28))
    assert not re.search(r"(?<![:\w]):[a-z_]", q.FILE_SQL)  # no name left unbound
    with pytest.raises(TypeError, match="reference"):
        q.FILING.args(**{n: None for n in q.FILE_ORDER if n != "reference"})
