"""Named parameters for SQL the code owns: `:name` placeholders become PostgreSQL's `$n` once,
when the statement is defined, and a call binds keyword arguments, failing on a missing or an
unknown name instead of shifting every later parameter by one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

# :name, but not the second colon of a ::cast nor a colon inside a word.
_PLACEHOLDER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


class NamedSQL:
    """A statement with :name placeholders. order fixes the $n numbering (for callers that
    still bind by number); by default names are numbered as they first appear."""

    def __init__(self, text: str, order: Sequence[str] = ()) -> None:
        used = list(dict.fromkeys(_PLACEHOLDER.findall(text)))
        if order and sorted(order) != sorted(used):
            raise ValueError(f"order names {sorted(order)}, the statement uses {sorted(used)}")
        self.names: tuple[str, ...] = tuple(order or used)
        number = {name: i for i, name in enumerate(self.names, 1)}
        self.sql = _PLACEHOLDER.sub(lambda m: f"${number[m[1]]}", text)

    def args(self, **values: Any) -> tuple[Any, ...]:
        """The positional arguments for self.sql; TypeError naming any missing or unknown."""
        missing = [n for n in self.names if n not in values]
        unknown = sorted(set(values) - set(self.names))
        if missing or unknown:
            raise TypeError(f"SQL parameters missing: {missing}, unknown: {unknown}")
        return tuple(values[n] for n in self.names)
