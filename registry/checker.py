"""Can they ask me for this certificate? A pure decision over an in-memory index: no I/O.

Verdict v2 (design §3). Safety rule: may_require is true only for a confident (item, matter)
pair: a name that surely names the item and a matter that surely is one it is listed for.
Anything short of that asks back (needs_matter with choices, or candidates) instead of
answering; a "none of these" answer (matter=OTHER_MATTER) or a matter that is surely another
official one gives retained_other_matter. Identity documents and licences are out_of_scope.
The index and name look-up are registry.nameindex; the structs registry.verdicts.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any

import msgspec

from registry import matters as mt
from registry import sounds
from registry import wording as w
from registry.guide import GuideItem, MatterGuide, guide, matter_guide
from registry.models import Status
from registry.nameindex import (
    CONFIDENT,
    EXACT,
    MAX_CANDIDATES,
    SHOWN,
    Index,
    levenshtein,
    lookalikes,
    names_of,
    search,
    similarity,
)
from registry.textnorm import bigrams, compact, core
from registry.verdicts import (
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
MAX_CHOICES = 12
OTHER_WORDS = frozenset(
    map(compact, ("其他事项", "其他", "其它", "其他事", "办其他事", "别的事", "都不是", "other"))
)
CERTIFICATE_ENDINGS = ("证明", "证", "材料", "书", "函", "表", "单", "凭证", "意见", "声明")
BRACKETED = re.compile(r"[(（\[【〔]([^)）\]】〕]{2,30})[)）\]】〕]")
# Words every certificate name has: sharing them says nothing.
NAME_FILLER = frozenset({"证明", "明书", "材料", "情况", "关于", "同意", "单位", "本人", "开的"})


def decide(q: Question, index: Index) -> Verdict:
    """The verdict for one question against the list in force on index.on."""
    if not compact(q.name):
        return _unlisted(q, [], ambiguous=False)
    names = names_of(q.name, index)
    if not q.matter and names.how not in ("pinned", "licence") and (said := _bracketed(q.name)):
        q = msgspec.structs.replace(q, matter=said)  # 收入证明（低保）: the matter in brackets
    if names.how == "licence":
        return _out_of_scope(q, index, next(iter(names.scores)))
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
        return _verdict(VerdictKind.ABOLISHED, q, chosen, names, index)
    if asked in OTHER_WORDS:
        return _verdict(VerdictKind.RETAINED_OTHER_MATTER, q, retained[0], names, index)
    if not asked:
        return _needs_matter(q, _pairs(ranked, None, scores, index), names, index)
    reading = index.read(q.matter or "")
    pairs = _pairs(ranked, reading, scores, index)
    confident = [p for p in pairs if p.score >= mt.CONFIDENT]
    kept = [p for p in confident if items.status(p.n) is Status.RETAINED]
    if kept and sure:
        best = max(kept, key=lambda p: (p.score, p.name_score))
        gone = [p.n for p in confident if items.status(p.n) is Status.ABOLISHED]
        return _retained(q, best, gone, names, index)
    if kept:  # the name was a near miss: confirm it through the choices
        return _needs_matter(q, confident, names, index)
    loose_kept = [
        p
        for p in pairs
        if items.status(p.n) is Status.RETAINED and (p.score >= mt.LOOSE or mt.is_vague(p.matter))
    ]
    if confident:  # only abolished items are listed for this matter
        best = max(confident, key=lambda p: (p.score, p.name_score))
        # A retained namesake whose matter comes near (or is vaguely worded) may be the one
        # meant: ask. One sharing a word only ("出生") loses to an abolished item listed for
        # the very matter asked.
        # A vaguely worded matter ("需要证明收入的事项") yields to an abolished item listed for
        # the very matter asked, unless they share words.
        near = [
            p
            for p in loose_kept
            if p.score >= NEAR
            or (p.score >= mt.LOOSE and best.score < 0.93)
            or (mt.is_vague(p.matter) and (p.score >= mt.LOOSE or best.score < 0.93))
        ]
        if near:
            return _needs_matter(q, confident + loose_kept, names, index)
        return _verdict(VerdictKind.ABOLISHED, q, best.n, names, index, matter=best.matter)
    if reading.known and not loose_kept and sure:
        return _verdict(VerdictKind.RETAINED_OTHER_MATTER, q, retained[0], names, index)
    return _needs_matter(q, pairs, names, index)


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
    reading = index.read(q.matter or "")
    best, best_score = ranked[0], 0.0
    for n in ranked:
        for m in index.matters[n]:
            s = mt.score(reading, m)
            if s > best_score:
                best, best_score = n, s
    return best if best_score >= mt.CONFIDENT else ranked[0]


def _not_found(q: Question, names: Names, index: Index) -> Verdict:
    """No item surely named: a matter typed as the name, a sound-alike, an item of the matter
    asked whose name shares words with the one typed, or not on the list."""
    alike = _sounds_like(q.name, index)
    if not alike and not _looks_like_certificate(q.name):
        reading = index.read(q.name)
        hits = [m for m, s in index.catalogue.find(reading, limit=8) if s >= mt.CONFIDENT]
        if hits or (reading.known and reading.core not in mt.GENERIC):
            return _matter_as_name(q, hits, index)
    scores = dict.fromkeys(alike, SOUNDS_LIKE)
    for n, s in names.scores.items():
        scores.setdefault(n, s)
    # Never 不得要求 while a retained item might be the one meant: ask instead.
    asked = _of_the_matter(q, index) if q.matter else []
    for p in asked:
        scores.setdefault(p.n, p.name_score)
    kept = [p for p in asked if index.items.status(p.n) is Status.RETAINED]
    heard_kept = [n for n in alike if index.items.status(n) is Status.RETAINED]
    if kept or heard_kept:
        said = index.read(q.matter) if q.matter else None
        pairs = asked + _pairs(heard_kept, said, dict.fromkeys(heard_kept, SOUNDS_LIKE), index)
        return _needs_matter(q, pairs, Names(scores, "asked"), index)
    candidates = _candidates(scores, index)
    if alike:
        return _unlisted(q, candidates, ambiguous=True, sounds_like=True)
    return _unlisted(q, candidates, ambiguous=bool(candidates))


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


def _of_the_matter(q: Question, index: Index) -> list[Pair]:
    """Items listed for the matter asked whose names share a word with the name typed (医院诊断
    证明 + 工伤认定 -> 医疗诊断证明…（工伤认定）): the window may mean one of them."""
    reading = index.read(q.matter or "")
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
    return full.endswith(CERTIFICATE_ENDINGS) or full != core(name)


def _matter_as_name(q: Question, hits: list[str], index: Index) -> Verdict:
    pairs = [Pair(n, m, 1.0, 1.0) for m in hits for n in index.matter_items[m]]
    choices = _choices(q, pairs, index)
    kind = VerdictKind.NEEDS_MATTER if choices else VerdictKind.UNLISTED
    return Verdict(
        verdict=kind,
        may_require=False,
        certificate=None,
        choices=choices,
        candidates=[],
        explanation=w.explain_matter_as_name(q.name.strip()[:50], bool(choices)),
        next_step=w.NEEDS_MATTER_STEP if choices else w.UNLISTED_STEP,
        guide_url=w.guide_url(q.name.strip(), q.on or ""),
        complaint_url=_complaint(q, q.name.strip()),
    )


# ---------------------------------------------------------------- the answers


def _choices(q: Question, pairs: list[Pair], index: Index) -> list[Choice]:
    seen: set[tuple[int, str]] = set()
    out: list[Choice] = []
    # Retained first within the same name score: the choice most people need comes first.
    order = sorted(
        pairs,
        key=lambda p: (
            -p.score,
            -p.name_score,
            index.items.status(p.n) is not Status.RETAINED,
            p.n,
        ),
    )
    for p in order:
        if (p.n, p.matter) in seen or len(out) >= MAX_CHOICES:
            continue
        seen.add((p.n, p.matter))
        name = index.items.names[p.n]
        status = index.items.status(p.n)
        text = index.matter_text.get(p.matter, "")
        out.append(
            Choice(
                code=index.codes[p.n],
                name=name,
                status=status,
                matter=text,
                may_require=status is Status.RETAINED and bool(text),
                url=w.check_url(name, text or OTHER_MATTER, q.department or "", q.on or ""),
            )
        )
    return out


def _needs_matter(q: Question, pairs: list[Pair], names: Names, index: Index) -> Verdict:
    choices = _choices(q, pairs, index)
    shown = {c.code for c in choices}
    certs = [index.cert(n) for n in dict.fromkeys(p.n for p in pairs)]
    top = sorted(names.scores, key=lambda n: (-names.scores[n], n))[0]
    name = q.name.strip()[:50]
    return Verdict(
        verdict=VerdictKind.NEEDS_MATTER,
        may_require=False,
        certificate=None,
        choices=choices,
        candidates=[c for c in _candidates(dict(names.scores), index) if c.code not in shown],
        explanation=w.explain_needs_matter(name, certs, q.matter),
        next_step=w.NEEDS_MATTER_STEP,
        other_url=w.check_url(index.items.names[top], OTHER_MATTER, q.department or "", q.on or ""),
        guide_url=w.guide_url(q.matter or "", q.on or ""),  # blank: every matter
        complaint_url=_complaint(q, name),
    )


def _retained(q: Question, best: Pair, gone: list[int], names: Names, index: Index) -> Verdict:
    cert = index.cert(best.n)
    matter = index.matter_text.get(best.matter, q.matter or "")
    lookalikes = [index.items.names[n] for n in dict.fromkeys(gone) if n != best.n]
    return Verdict(
        verdict=VerdictKind.RETAINED,
        may_require=True,
        certificate=cert,
        matter=matter,
        candidates=_others(cert.code, names, index),
        explanation=w.explain_retained(cert, matter, lookalikes),
        next_step=w.next_step(cert),
        guide_url=w.matter_url(matter, q.on or ""),
        complaint_url=None,
    )


def _verdict(
    kind: VerdictKind, q: Question, n: int, names: Names, index: Index, matter: str = ""
) -> Verdict:
    cert = index.cert(n)
    if kind is VerdictKind.ABOLISHED:
        text = index.memo("explain", n, lambda: w.explain_abolished(cert))
        step = index.memo("step", n, lambda: w.next_step(cert))
    else:
        asked = None if compact(q.matter or "") in OTHER_WORDS else q.matter
        text, step = w.explain_other_matter(cert, asked), w.OTHER_MATTER_STEP
    return Verdict(
        verdict=kind,
        may_require=False,
        certificate=cert,
        matter=index.matter_text.get(matter) if matter else None,
        candidates=_others(cert.code, names, index),
        explanation=text,
        next_step=step,
        complaint_url=_complaint(q, cert.name),
    )


def _others(code: str, names: Names, index: Index) -> list[Candidate]:
    scores = dict(names.scores)
    if names.best < 1.0:  # matched loosely: show the look-alikes too
        n = bisect_left(index.codes, code)
        alike = index.memo("alike", n, lambda: lookalikes(core(index.items.names[n]), index))
        for k, s in alike.items():
            scores.setdefault(k, min(s, names.best - 0.01))
    return [c for c in _candidates(scores, index) if c.code != code]


def _out_of_scope(q: Question, index: Index, licence_no: int) -> Verdict:
    lic = index.vocab.licences[licence_no]
    return Verdict(
        verdict=VerdictKind.OUT_OF_SCOPE,
        may_require=False,
        certificate=None,
        licence=LicenceInfo(
            name=lic.name, issuer=lic.issuer, rule=lic.rule, legal_basis=lic.legal_basis
        ),
        explanation=w.explain_out_of_scope(lic.name, lic.rule),
        next_step=lic.rule,
        complaint_url=_complaint(q, q.name.strip()),
    )


def _unlisted(
    q: Question, candidates: list[Candidate], *, ambiguous: bool, sounds_like: bool = False
) -> Verdict:
    return Verdict(
        verdict=VerdictKind.UNLISTED,
        may_require=False,
        certificate=None,
        candidates=candidates,
        explanation=w.explain_unlisted(q.name, ambiguous=ambiguous, sounds_like=sounds_like),
        next_step=w.UNLISTED_STEP,
        complaint_url=_complaint(q, q.name.strip()),
    )


def _complaint(q: Question, name: str) -> str:
    return w.complaint_url(name, q.matter or "", q.department or "")


def _candidates(matches: dict[int, float], index: Index) -> list[Candidate]:
    ranked = sorted(matches.items(), key=lambda kv: (-kv[1], kv[0]))  # numbers: code order
    items = index.items
    return [
        Candidate(items.codes[n], items.names[n], items.status(n), round(score, 2))
        for n, score in ranked[:MAX_CANDIDATES]
        if score >= SHOWN
    ]


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
