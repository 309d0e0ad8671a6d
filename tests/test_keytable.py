"""KeyTable answers exactly what the dict it was built from answers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.checker.keytable import KeyTable


def test_lookups_single_shared_and_missing():
    t = KeyTable({"无犯罪记录证明": [3], "wfzjlzm": [3, 7, 3], "a": [0], "良民证": [3]})
    assert t.get("无犯罪记录证明") == (3,)
    assert t.get("wfzjlzm") == (3, 7)
    assert t.get("a") == (0,) and t.get("良民证") == (3,)
    for missing in ("", "0", "b", "无犯罪", "无犯罪记录证明书", "zzzz", "良"):
        assert t.get(missing) == ()
    assert len(t) == 4


def test_empty_table():
    assert KeyTable({}).get("anything") == () and len(KeyTable({})) == 0


keys = st.text(alphabet=st.sampled_from("ab证明无犯罪zü\u3000"), max_size=6)


@settings(max_examples=300)
@given(table=st.dictionaries(keys, st.lists(st.integers(0, 50), min_size=1, max_size=3)),
       probes=st.lists(keys, max_size=20))  # fmt: skip
def test_agrees_with_the_dict(table, probes):
    t = KeyTable(table)
    for key in [*table, *probes]:
        want = tuple(sorted(set(table[key]))) if key in table else ()
        assert t.get(key) == want
