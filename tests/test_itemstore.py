"""Items gives back every certificate exactly as it was stored, as a fresh object."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest

from registry.catalogue import transfer
from registry.checker.itemstore import Items
from registry.infra.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def seed_certificates():
    rows, errors = transfer.parse_rows(
        transfer.read_file(PROJECT_ROOT / "seed_data" / "certificates.csv"),
        today=dt.date(2026, 1, 1),
    )
    assert not errors
    return [r.cert for r in rows]


def test_every_seed_certificate_round_trips(seed_certificates):
    items = Items(seed_certificates)
    assert len(items) == len(seed_certificates)
    for n, c in enumerate(seed_certificates):
        assert items[n] == c
        assert items.codes[n] == c.code and items.names[n] == c.name
        assert items.status(n) is c.status


def test_values_are_shared_but_handed_out_as_fresh_lists(seed_certificates):
    items = Items(seed_certificates)
    first = items[0]
    first.matters.append("改过")
    assert items[0].matters == seed_certificates[0].matters
    assert len(items._values["issuer"]) < len(seed_certificates)  # repeats are stored once


def test_survives_pickling(seed_certificates):
    items = pickle.loads(pickle.dumps(Items(seed_certificates)))
    assert [items[n] for n in range(len(items))] == seed_certificates
