"""A read-only map from name keys to item numbers, for lists of hundreds of thousands of items.

A dict of 500,000 str keys costs ~100 bytes a key before any value. Here all keys sit sorted in
one UTF-8 blob with an offset array, and a look-up is a binary search (~20 slice comparisons,
a few microseconds): about a fifth of the memory. UTF-8 byte order is code point order, which
is Python's str order, so sorting the str keys sorts the blob.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping


class KeyTable:
    def __init__(self, table: Mapping[str, Iterable[int]]) -> None:
        blob = bytearray()
        self._offsets = array("I", [0])
        # Most keys name one item: its number; a shared key: -1 - its index in _shared.
        self._values = array("i")
        self._shared: list[tuple[int, ...]] = []
        for key in sorted(table):
            blob += key.encode()
            self._offsets.append(len(blob))
            items = tuple(sorted(set(table[key])))
            if len(items) == 1:
                self._values.append(items[0])
            else:
                self._values.append(-1 - len(self._shared))
                self._shared.append(items)
        self._blob = bytes(blob)

    def get(self, key: str) -> tuple[int, ...]:
        """The item numbers under key; empty when there are none."""
        want = key.encode()
        blob, offsets = self._blob, self._offsets
        lo, hi = 0, len(self._values)
        while lo < hi:
            mid = (lo + hi) // 2
            if blob[offsets[mid] : offsets[mid + 1]] < want:
                lo = mid + 1
            else:
                hi = mid
        if lo == len(self._values) or blob[offsets[lo] : offsets[lo + 1]] != want:
            return ()
        value = self._values[lo]
        return (value,) if value >= 0 else self._shared[-1 - value]

    def __len__(self) -> int:
        return len(self._values)


class SmallTable:
    """The same interface over a plain dict: for lists small enough that memory does not matter
    (a look-up is ~0.1 us here, ~8 us by binary search in KeyTable)."""

    def __init__(self, table: Mapping[str, Iterable[int]]) -> None:
        self._table = {key: tuple(sorted(set(items))) for key, items in table.items()}

    def get(self, key: str) -> tuple[int, ...]:
        return self._table.get(key, ())

    def __len__(self) -> int:
        return len(self._table)


def key_table(table: Mapping[str, Iterable[int]], *, small: bool) -> KeyTable | SmallTable:
    return SmallTable(table) if small else KeyTable(table)
