"""Can they ask me for this certificate? A pure decision over an in-memory index: no I/O.

Verdict v2 (design §3). Safety rule: may_require is true only for a confident (item, matter)
pair: a name that surely names the item and a matter that surely is one it is listed for.
Anything short of that asks back (needs_matter with choices, or candidates) instead of
answering; a "none of these" answer (matter=OTHER_MATTER) or a matter that is surely another
official one gives retained_other_matter. Identity documents and licences are out_of_scope.
The index and name look-up are registry.checker.nameindex; the structs registry.checker.verdicts.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from registry.catalogue.models import Status
from registry.checker import answers as a
from registry.checker import matters as mt
from registry.checker import sounds
from registry.checker import wording as w
from registry.checker.guide import GuideItem, MatterGuide, guide, matter_guide
from registry.checker.nameindex import (
    CONFIDENT,
    EXACT,
    PAPER_ENDINGS,
    SHOWN,
    Index,
    levenshtein,
    names_of,
    search,
    similarity,
)
from registry.checker.textnorm import bigrams, compact, core
from registry.checker.verdicts import (
    OTHER_MATTER,
    Candidate,
    Choice,
    LicenceInfo,
    Names,
    Pair,
    Question,
    Verdict,
    VerdictKind,
)

__all__ = [
    "OTHER_MATTER",
    "Candidate",
    "Choice",
    "GuideItem",
    "Index",
    "LicenceInfo",
    "MatterGuide",
    "Question",
    "Verdict",
    "VerdictKind",
    "decide",
    "guide",
    "levenshtein",
    "matter_guide",
    "run",
    "search",
    "similarity",
]

SOUNDS_LIKE = 0.85  # a homophone is offered, never taken
NEAR = 0.7  # a retained item's matter this close to the one asked: never answer 不得要求
BRACKETED = re.compile(r"[(（\[【〔]([^)）\]】〕]{2,30})[)）\]】〕]")
# Words every certificate name has: sharing them says nothing.
NAME_FILLER = frozenset({"证明", "明书", "材料", "情况", "关于", "同意", "单位", "本人", "开的"})


def decide(q: Question, index: Index) -> Verdict:
    """The verdict for one question against the list in force on index.on."""
    if not compact(q.name):
        return a.unlisted(q, [], ambiguous=False)
    names = names_of(q.name, index)
    if not q.matter and names.how not in ("pinned", "licence") and (said := _bracketed(q.name)):
        q = msgspec.structs.replace(q, matter=said)  # 收入证明（低保）: the matter in brackets
    if names.how == "licence":
        return a.out_of_scope(q, index, next(iter(names.scores)))
    if names.how == "tail" or (names.how in ("none", "fuzzy") and names.best < CONFIDENT):
        return _not_found(q, names, index)
    return _judge(q, names, index)


# ---------------------------------------------------------------- judging a known name


def _judge(q: Question, names: Names, index: Index) -> Verdict:
    items, scores = index.items, names.scores
    ranked = sorted(scores, key=lambda n: (-scores[n], n))
    sure = names.best >= EXACT
    retained = [n for n in ranked if items.status(n) is Status.RETAINED]
    top = ranked[0]
    asked = compact(q.matter or "")
    if not retained:  # every item the name fits is abolished: the matter changes nothing
        chosen = _abolished_for(q, ranked, index) if asked else top
        return a.verdict(VerdictKind.ABOLISHED, q, chosen, names, index)
    if asked in a.OTHER_WORDS:
        return a.verdict(VerdictKind.RETAINED_OTHER_MATTER, q, retained[0], names, index)
    if not asked:
        return a.needs_matter(q, _pairs(ranked, None, scores, index), names, index)
    reading = index.read(q.matter or "")
    pairs = _pairs(ranked, reading, scores, index)
    confident = [p for p in pairs if p.score >= mt.CONFIDENT]
    kept = [p for p in confident if items.status(p.n) is Status.RETAINED]
    if kept and sure:
        best = max(kept, key=lambda p: (p.score, p.name_score))
        gone = [p.n for p in confident if items.status(p.n) is Status.ABOLISHED]
        return a.retained(q, best, gone, names, index)
    if kept:  # the name was a near miss: confirm it through the choices
        return a.needs_matter(q, confident, names, index)
    loose_kept = [
        p
        for p in pairs
        if items.status(p.n) is Status.RETAINED and (p.score >= mt.LOOSE or mt.is_vague(p.matter))
    ]
    if confident:  # only abolished items are listed for this matter
        best = max(confident, key=lambda p: (p.score, p.name_score))
        # A retained namesake whose matter comes near may be the one meant: ask. One sharing
        # a word only ("出生"), or worded vaguely ("需要证明收入的事项") without shared words,
        # yields to an abolished item listed for the very matter asked.
        near = [
            p
            for p in loose_kept
            if p.score >= NEAR
            or (p.score >= mt.LOOSE and best.score < 0.93)
            or (mt.is_vague(p.matter) and (p.score >= mt.LOOSE or best.score < 0.93))
        ]
        if near:
            return a.needs_matter(q, confident + loose_kept, names, index)
        return a.verdict(VerdictKind.ABOLISHED, q, best.n, names, index, matter=best.matter)
    if reading.known and not loose_kept and sure:
        return a.verdict(VerdictKind.RETAINED_OTHER_MATTER, q, retained[0], names, index)
    return a.needs_matter(q, pairs, names, index)


def _pairs(
    ranked: list[int], reading: mt.Reading | None, scores: dict[int, float], index: Index
) -> list[Pair]:
    out = []
    for n in ranked:
        for m in index.matters[n] or ("",):
            s = mt.score(reading, m) if reading is not None and m else 0.0
            out.append(Pair(n, m, s, scores[n]))
    return out


def _abolished_for(q: Question, ranked: list[int], index: Index) -> int:
    """Among abolished namesakes, the one listed for the matter asked about (else the best)."""
    pairs = _pairs(ranked, index.read(q.matter or ""), dict.fromkeys(ranked, 0.0), index)
    best = max(pairs, key=lambda p: p.score)  # the first of equals: ranked order
    return best.n if best.score >= mt.CONFIDENT else ranked[0]


def _not_found(q: Question, names: Names, index: Index) -> Verdict:
    """No item surely named: a matter typed as the name, a sound-alike, an item of the matter
    asked whose name shares words with the one typed, or not on the list."""
    alike = _sounds_like(q.name, index)
    if not alike and not _looks_like_certificate(q.name):
        as_matter = index.read(q.name)
        hits = [m for m, s in index.catalogue.find(as_matter, limit=8) if s >= mt.CONFIDENT]
        if hits or (as_matter.known and as_matter.core not in mt.GENERIC):
            return _matter_as_name(q, hits, index)
    scores = dict.fromkeys(alike, SOUNDS_LIKE)
    for n, s in names.scores.items():
        scores.setdefault(n, s)
    # Never 不得要求 while a retained item might be the one meant: ask instead.
    said = index.read(q.matter) if q.matter else None
    asked = _of_the_matter(q, said, index) if said else []
    for p in asked:
        scores.setdefault(p.n, p.name_score)
    kept = [p for p in asked if index.items.status(p.n) is Status.RETAINED]
    heard_kept = [n for n in alike if index.items.status(n) is Status.RETAINED]
    if kept or heard_kept:
        heard = dict.fromkeys(heard_kept, SOUNDS_LIKE)
        pairs = asked + _pairs(heard_kept, said, heard, index)
        return a.needs_matter(q, pairs, Names(scores, "asked"), index)
    candidates = a.candidates(scores, index)
    if alike:
        return a.unlisted(q, candidates, ambiguous=True, sounds_like=True)
    return a.unlisted(q, candidates, ambiguous=bool(candidates))


def _sounds_like(name: str, index: Index) -> tuple[int, ...]:
    """Items whose names sound the same (良名证 -> 良民证), the list's or through the thesaurus."""
    for text in dict.fromkeys((compact(name), core(name))):
        said = sounds.sound(text, index.readings)
        if said and (heard := index.heard.get(said)):
            return heard
        for phrase in index.heard_names.get(said, ()) if said else ():
            found = names_of(phrase, index)
            if found.how not in ("none", "fuzzy"):
                return tuple(found.scores)
    return ()


def _of_the_matter(q: Question, reading: mt.Reading, index: Index) -> list[Pair]:
    """Items listed for the matter asked whose names share a word with the name typed (医院诊断
    证明 + 工伤认定 -> 医疗诊断证明…（工伤认定）): the window may mean one of them."""
    words = bigrams(core(q.name)) | bigrams(compact(q.name))
    out: list[Pair] = []
    for m, s in index.catalogue.find(reading, limit=8):
        if s < mt.CONFIDENT:
            continue
        for n in index.matter_items[m]:
            label = compact(index.items.names[n])
            if any(w in label for w in words if len(w) == 2 and w not in NAME_FILLER):
                out.append(Pair(n, m, s, SHOWN))
    return out


def _bracketed(name: str) -> str:
    found = BRACKETED.search(name)
    return found.group(1).strip() if found else ""


def _looks_like_certificate(name: str) -> bool:
    """证明, 证明书, 材料 …: a paper, not a matter, whatever words come before."""
    full = compact(name)
    return full.endswith(PAPER_ENDINGS) or full != core(name)


def _matter_as_name(q: Question, hits: list[str], index: Index) -> Verdict:
    pairs = [Pair(n, m, 1.0, 1.0) for m in hits for n in index.matter_items[m]]
    choices = a.choices(q, pairs, index)
    kind = VerdictKind.NEEDS_MATTER if choices else VerdictKind.UNLISTED
    return Verdict(
        verdict=kind,
        may_require=False,
        certificate=None,
        choices=choices,
        candidates=[],
        reasons=w.explain_matter_as_name(q.name.strip()[:50], bool(choices)),
        next_step_reasons=w.NEEDS_MATTER_STEP if choices else w.UNLISTED_STEP,
        guide_url=w.guide_url(q.name.strip(), q.on or ""),
        complaint_url=a.complaint(q, q.name.strip()),
    )


def run(op: str, arg: Any, index: Index) -> Any:
    """The operations a worker (or the child answering other dates) runs on an index."""
    if op == "decide":
        return decide(arg, index)
    if op == "search":
        return search(arg, index)
    if op == "guide":
        return guide(arg, index)
    if op == "matter":
        return matter_guide(arg, index)
    raise ValueError(op)
