"""Translations for what the code says: gettext objects, msgids in Chinese.

Sentences are marked with N_ (or written as gettext(...) calls) so Babel's extractor finds them
(`pybabel extract` knows both by default); they are translated where they are rendered, in the
reader's language. Until catalogues ship, every reader gets the msgids (Chinese)."""

from __future__ import annotations

import gettext

Translations = gettext.NullTranslations  # GNUTranslations (a compiled catalogue) is one too
CHINESE = gettext.NullTranslations()


def N_(message: str) -> str:
    """Marks a msgid for extraction; it is translated where it is rendered."""
    return message


def translations_for(locale: str | None) -> Translations:
    """The catalogue for a reader's language; Chinese (the msgids) for now."""
    return CHINESE
