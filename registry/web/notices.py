"""The outbox sender's one renderer: each feature renders its own kinds of message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry.complaints import events as complaint_events
from registry.verification import events as verification_events


def render_outbox(kind: str, params: Mapping[str, Any], locale: str | None) -> tuple[str, str]:
    """infra.outbox.Render: (subject, body) in the recipient's language."""
    if kind.startswith("verification."):
        return verification_events.render_outbox(kind, params, locale)
    return complaint_events.render_outbox(kind, params, locale)
