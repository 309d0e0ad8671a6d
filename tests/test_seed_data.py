"""The seed is the county's true totals, complete enough to answer people."""

from __future__ import annotations

import datetime as dt
import re

import msgspec

from registry.catalogue.models import REPLACEMENT_METHODS, STATUTORY_LEVELS, Status
from registry.catalogue.queries import certificates as q


async def test_totals_are_173_164_9(conn):
    s = await q.summary(conn, on=dt.date.today())
    assert (s.reviewed, s.abolished, s.retained) == (173, 164, 9)
    assert s.abolished_rate == round(164 / 173, 3)


async def test_every_item_is_complete(conn):
    items, total = await q.list_certificates(conn, on=dt.date.today())
    assert total == len(items) == 173
    for c in items:
        assert c.code and c.name and c.issuer and c.matters and c.demanded_by, c.code
        if c.status is Status.RETAINED:
            assert c.legal_basis and c.legal_basis_level in STATUTORY_LEVELS, c.code
        else:
            assert c.replacement_methods, c.code
            assert set(c.replacement_methods) <= set(REPLACEMENT_METHODS)


async def test_names_and_aliases_are_unique(conn):
    items, _ = await q.list_certificates(conn, on=dt.date.today())
    names = [c.name for c in items]
    aliases = [a for c in items for a in c.aliases]
    assert len(set(names)) == len(names)
    assert len(set(aliases)) == len(aliases)
    assert not set(aliases) & set(names)
    assert "良民证" in aliases


async def test_demanding_departments_exist(conn):
    deps = {r["name"] for r in await conn.fetch("SELECT name FROM departments")}
    towns = await conn.fetchval("SELECT count(*) FROM departments WHERE kind IN ('town','street')")
    assert towns == 18
    items, _ = await q.list_certificates(conn, on=dt.date.today())
    for c in items:
        assert set(c.demanded_by) & deps, c.code


async def test_public_fields_name_documents_not_sources(conn):
    """What the importer loaded, field by field: no web address, no internal word, no research
    provenance; every note names the 2018 document; every item takes effect on 2018-12-28."""
    items, _ = await q.list_certificates(conn, on=dt.date.today())
    for c in items:
        text = msgspec.json.encode(c).decode()
        assert not re.search(
            r"https?:|www\.|\.com|\.cn\b|seed|种子|来源[：:]|typical", text, re.I
        ), c.code
        assert "国办发〔2018〕47号" in c.note, c.code
        assert c.effective_from == dt.date(2018, 12, 28), c.code


async def test_no_certificate_is_retained_and_abolished_for_cremation(conn):
    """The contradiction that was: the death certificate at cremation is retained (CY-ZM-002);
    the abolished CY-ZM-058 is the repeated demand after cremation."""
    items, _ = await q.list_certificates(conn, on=dt.date.today())
    by_code = {c.code: c for c in items}
    kept, gone = by_code["CY-ZM-002"], by_code["CY-ZM-058"]
    assert kept.status is Status.RETAINED and "遗体火化" in kept.matters
    assert gone.status is Status.ABOLISHED
    assert not any("火化" in m for m in gone.matters)
