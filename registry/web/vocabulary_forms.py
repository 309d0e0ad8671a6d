"""The office's vocabulary forms (/staff/vocabulary, /staff/licences) read into a Term or a
Licence with every field error: what the two sections' routes share."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from registry.catalogue.vocab import Licence, Term, TermKind
from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_

PHRASE_MAX = 30  # an everyday phrase, a licence's name or alias: what people type
TARGET_MAX = 100  # an official wording (a matter, a certificate's name)
MAX_ENTRIES = 50  # phrases, targets or aliases in one entry
LIMITS = {"domain": 50, "note": 500, "issuer": 200, "rule": 1000, "legal_basis": 500}
SEPARATORS = re.compile(r"[\r\n；;、]+")
# What the messages call the fields (msgids: a page says them in its reader's language).
WORDS = (N_("说法"), N_("规范用语"), N_("证照名称"), N_("别名"))


def read_form(data: Mapping[str, Any], fields: Iterable[str]) -> dict[str, str]:
    """The submitted text of each field, trimmed and bounded."""
    return {f: str(data.get(f, "") or "").strip()[: LIMITS.get(f, 4000)] for f in fields}


def split(text: str) -> tuple[str, ...]:
    """One per line (or separated by 、；;), spaces collapsed, repeats dropped."""
    parts = (" ".join(p.split()) for p in SEPARATORS.split(text))
    return tuple(dict.fromkeys(p for p in parts if p))


def check_words(
    field: str, label: str, words: tuple[str, ...], longest: int, *, required: bool = True
) -> list[FieldError]:
    if not words:
        return [FieldError(field, N_("请填写%(label)s") % {"label": label})] if required else []
    too_long = N_("“%(text)s”太长：每个%(label)s最多 %(n)s 个字")
    errors = [
        FieldError(field, too_long % {"text": w[:40], "label": label, "n": longest})
        for w in words
        if len(w) > longest
    ]
    if len(words) > MAX_ENTRIES:
        said = N_("%(label)s最多 %(n)s 个：请拆成几条")
        errors.append(FieldError(field, said % {"label": label, "n": MAX_ENTRIES}))
    return errors


def read_term(values: Mapping[str, str]) -> tuple[Term, list[FieldError]]:
    errors = []
    kind = values.get("kind", "")
    if kind not in set(TermKind):
        errors.append(FieldError("kind", N_("请选择类别")))
    phrases, targets = split(values.get("phrases", "")), split(values.get("targets", ""))
    errors += check_words("phrases", "说法", phrases, PHRASE_MAX)
    errors += check_words("targets", "规范用语", targets, TARGET_MAX)
    term = Term(
        key="",
        kind=TermKind(kind) if kind in set(TermKind) else TermKind.MATTER,
        phrases=phrases,
        targets=targets,
        domain=" ".join(values.get("domain", "").split()),
        note=values.get("note", ""),
    )
    return term, errors


def read_licence(values: Mapping[str, str]) -> tuple[Licence, list[FieldError]]:
    name = " ".join(values.get("name", "").split())
    aliases = tuple(a for a in split(values.get("aliases", "")) if a != name)
    errors = check_words("name", "证照名称", (name,) if name else (), PHRASE_MAX)
    errors += check_words("aliases", "别名", aliases, PHRASE_MAX, required=False)
    licence = Licence(
        key="",
        name=name,
        aliases=aliases,
        issuer=" ".join(values.get("issuer", "").split()),
        rule=values.get("rule", ""),
        legal_basis=values.get("legal_basis", ""),
    )
    return licence, errors
