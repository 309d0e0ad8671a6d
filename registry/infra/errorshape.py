"""The one error shape of every JSON error (design §4)."""

from __future__ import annotations

import msgspec


class FieldError(msgspec.Struct):
    field: str
    message: str


class ErrorBody(msgspec.Struct):
    status: int
    error: str
    errors: list[FieldError] = []


# ---- complaints ------------------------------------------------------------------------
