"""The words people use, as data: a thesaurus of everyday phrasings (of matters and of
certificate names) and the catalogue of licences and identity documents (证照), which are not
certificates at all. Shipped defaults live in seed_data/; the office edits them in the
workspace (stored versioned in PostgreSQL). Pure: no I/O but reading the shipped CSV files."""

from __future__ import annotations

import csv
import re
from enum import StrEnum
from pathlib import Path

import msgspec

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"
THESAURUS_CSV = SEED_DIR / "thesaurus.csv"
LICENCES_CSV = SEED_DIR / "licences.csv"
_SPLIT = re.compile(r"[；;]")


class TermKind(StrEnum):
    MATTER = "matter"  # everyday words for a matter: 上户口 -> 户口登记, 落户
    NAME = "name"  # everyday words for a certificate: 良民证 -> 无犯罪记录证明


TERM_KIND_LABELS = {TermKind.MATTER: "办理事项", TermKind.NAME: "证明名称"}


class Term(msgspec.Struct, frozen=True, kw_only=True):
    """Everyday phrasings (phrases) meaning the official wording (targets)."""

    key: str
    kind: TermKind
    phrases: tuple[str, ...]
    targets: tuple[str, ...]
    domain: str = ""
    note: str = ""


class Licence(msgspec.Struct, frozen=True, kw_only=True):
    """An identity document or licence: a window may ask to see it where a law says so, never
    for a separate proof of what it already shows."""

    key: str
    name: str
    aliases: tuple[str, ...] = ()
    issuer: str = ""
    rule: str = ""  # plain words: when a window may ask to see it, what it may not ask instead
    legal_basis: str = ""


class Vocabulary(msgspec.Struct, frozen=True, kw_only=True):
    terms: tuple[Term, ...] = ()
    licences: tuple[Licence, ...] = ()


EMPTY = Vocabulary()

# Shipped CSV headers (Chinese, as the office writes them) -> field.
TERM_HEADERS = {
    "编号": "key",
    "类别": "kind",
    "说法": "phrases",
    "规范用语": "targets",
    "领域": "domain",
    "备注": "note",
}
LICENCE_HEADERS = {
    "编号": "key",
    "证照名称": "name",
    "别名": "aliases",
    "颁发机关": "issuer",
    "使用规则": "rule",
    "依据": "legal_basis",
}
KIND_WORDS = {"事项": TermKind.MATTER, "证明": TermKind.NAME}


def split(cell: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in _SPLIT.split(cell or "") if p.strip())


def read_terms(path: Path = THESAURUS_CSV) -> tuple[Term, ...]:
    rows = _rows(path, TERM_HEADERS)
    return tuple(
        Term(
            key=r["key"],
            kind=KIND_WORDS.get(r["kind"], TermKind.MATTER),
            phrases=split(r["phrases"]),
            targets=split(r["targets"]),
            domain=r.get("domain", ""),
            note=r.get("note", ""),
        )
        for r in rows
    )


def read_licences(path: Path = LICENCES_CSV) -> tuple[Licence, ...]:
    rows = _rows(path, LICENCE_HEADERS)
    return tuple(
        Licence(
            key=r["key"],
            name=r["name"],
            aliases=split(r.get("aliases", "")),
            issuer=r.get("issuer", ""),
            rule=r.get("rule", ""),
            legal_basis=r.get("legal_basis", ""),
        )
        for r in rows
    )


def shipped() -> Vocabulary:
    """The defaults every installation starts with (and the checker's when there is no DB)."""
    return Vocabulary(terms=read_terms(), licences=read_licences())


def _rows(path: Path, headers: dict[str, str]) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [
            {headers[k]: (v or "").strip() for k, v in row.items() if k in headers}
            for row in csv.DictReader(f)
        ]
