"""Can they ask me for this certificate? A pure decision over an in-memory index: no I/O.

Verdict v2 (design §3). Safety rule: may_require is true only for a confident (item, matter)
pair: a name that surely names the item and a matter that surely is one it is listed for.
Anything short of that asks back (needs_matter with choices, or candidates) instead of
answering; a "none of these" answer (matter=OTHER_MATTER) or a matter that is surely another
official one gives retained_other_matter. Identity documents and licences are out_of_scope.
"""

from __future__ import annotations

import datetime as dt
import re
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from enum import StrEnum
from typing import Any

import msgspec

from registry import matters as mt
from registry import sounds
from registry import wording as w
from registry.guide import GuideItem, MatterGuide, guide, matter_guide
from registry.itemstore import Items
from registry.keytable import KeyTable
from registry.models import Certificate, Status
from registry.textnorm import bigrams, compact, core, is_latin, pinyin
from registry.vocab import EMPTY, Vocabulary

__all__ = ["GuideItem", "MatterGuide", "guide", "matter_guide"]

EXACT = 0.9  # scores from here up come from a name, alias, normalised form or pinyin key
CONFIDENT = 0.8  # fuzzy similarity from which a match counts as the item meant
SHOWN = 0.4  # lowest score offered as "did you mean"
SOUNDS_LIKE = 0.85  # a homophone is offered, never taken
MAX_CANDIDATES = 5
MAX_CHOICES = 12
MAX_FAMILY = 40
MAX_FUZZY = 60  # labels scored exactly after the bigram pre-filter
PHRASE_PINYIN_LIMIT = 20_000  # context-aware pinyin is slow; big lists read per character
OTHER_WORDS = frozenset(
    map(
        compact,
        (
            "其他事项",
            "其他",
            "其它",
            "其他事",
            "办其他事",
            "别的事",
            "都不是",
            "以上都不是",
            "other",
        ),
    )
)
_QUALIFIER = re.compile(r"[(（\[【〔]")
CERTIFICATE_ENDINGS = ("证明", "证", "材料", "书", "函", "表", "单", "凭证", "意见")
# Licence names are typed with these too: 身份证原件, 户口本复印件.
LICENCE_SUFFIXES = ("原件和复印件", "原件", "复印件", "正本", "副本", "首页", "本人页")


class VerdictKind(StrEnum):
    RETAINED = "retained"
    NEEDS_MATTER = "needs_matter"
    RETAINED_OTHER_MATTER = "retained_other_matter"
    ABOLISHED = "abolished"
    UNLISTED = "unlisted"
    OUT_OF_SCOPE = "out_of_scope"


# The `matter` value meaning "none of the matters offered" (the "办其他事" link sends it).
OTHER_MATTER = "其他事项"


class Candidate(msgspec.Struct):
    code: str
    name: str
    status: Status
    score: float


class Choice(msgspec.Struct, kw_only=True):
    """One (item, matter) pair a needs_matter answer offers; url is the page answering it."""

    code: str
    name: str
    status: Status
    matter: str
    may_require: bool
    url: str


class LicenceInfo(msgspec.Struct, kw_only=True):
    name: str
    issuer: str
    rule: str
    legal_basis: str


class Verdict(msgspec.Struct, kw_only=True):
    verdict: VerdictKind
    may_require: bool
    certificate: Certificate | None
    matter: str | None = None  # the official matter the answer is for, once confirmed
    choices: list[Choice] = []
    candidates: list[Candidate] = []
    explanation: str
    next_step: str = ""  # plain words: what the asker does now
    licence: LicenceInfo | None = None  # out_of_scope: the document asked about
    other_url: str | None = None  # needs_matter: "办其他事" (matter=OTHER_MATTER)
    guide_url: str | None = None  # the matter guide, when a matter is in play
    complaint_url: str | None


class Question(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    matter: str | None = None
    department: str | None = None
    on: str | None = None  # the date asked about, as given: carried into the links of choices


class Index:
    """The list in force on one date, keyed every way a person may type a name, with the
    vocabulary (thesaurus, licences) and the catalogue of its official matters.

    Items are numbered in code order and stored by column (itemstore.Items); every table maps
    to item numbers, and the key tables are KeyTables, so a 200,000-item list fits a small
    worker.
    """

    def __init__(self, certs: list[Certificate], on: dt.date, vocab: Vocabulary = EMPTY) -> None:
        self.on = on
        self.vocab = vocab
        certs = sorted(certs, key=lambda c: c.code)
        self.items = Items(certs)
        self.codes = self.items.codes
        shared: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per distinct value
        self.matters = [
            shared.setdefault(m, m) for m in (tuple(map(compact, c.matters)) for c in certs)
        ]
        self.stems: list[str] = []  # label n's core, for fuzzy matching ...
        self.owners = array("i")  # ... and its item
        grams: dict[str, array[int]] = defaultdict(lambda: array("i"))
        exact: dict[str, list[int]] = defaultdict(list)
        official: dict[str, list[int]] = defaultdict(list)
        cores: dict[str, list[int]] = defaultdict(list)
        latin: dict[str, list[int]] = defaultdict(list)
        heard: dict[str, list[int]] = defaultdict(list)
        phrase = len(certs) <= PHRASE_PINYIN_LIMIT
        self.readings = sounds.table()
        for n, c in enumerate(certs):
            official[compact(c.name)].append(n)
            for label in [c.name, *c.aliases]:
                full, stem = compact(label), core(label)
                exact[full].append(n)
                cores[stem].append(n)
                for text in {full, stem}:
                    for key in pinyin(text, phrase=phrase) + (pinyin(text) if phrase else ()):
                        if len(key) >= 3:
                            latin[key].append(n)
                    if said := sounds.sound(text, self.readings):
                        heard[said].append(n)
                label_no = len(self.stems)
                self.stems.append(stem)
                self.owners.append(n)
                for g in bigrams(stem):
                    grams[g].append(label_no)
        self.grams = dict(grams)  # a plain dict: an index can be pickled (built in a child)
        self.exact, self.cores, self.latin = KeyTable(exact), KeyTable(cores), KeyTable(latin)
        self.official, self.heard = KeyTable(official), KeyTable(heard)
        # Matters: normalised official wording -> (its text as the list writes it, items).
        by_matter: dict[str, list[int]] = defaultdict(list)
        self.matter_text: dict[str, str] = {}
        for n, c in enumerate(certs):
            for text, norm in zip(c.matters, self.matters[n], strict=True):
                if norm:
                    by_matter[norm].append(n)
                    self.matter_text.setdefault(norm, text)
        self.matter_items = {m: tuple(ns) for m, ns in by_matter.items()}
        self.catalogue = mt.Catalogue(self.matter_items)
        self.thesaurus = mt.Thesaurus(vocab.terms)
        self.licences: dict[str, int] = {}
        for i, lic in enumerate(vocab.licences):
            for label in (lic.name, *lic.aliases):
                self.licences.setdefault(compact(label), i)

    def matters_of(self, code: str) -> tuple[str, ...]:
        """The compacted matters of the item with this code (for tests and explanations)."""
        return self.matters[bisect_left(self.codes, code)]

    def read(self, matter: str) -> mt.Reading:
        return self.thesaurus.read(matter, self.catalogue.known)

    def __len__(self) -> int:
        return len(self.items)


class Names(msgspec.Struct):
    """The items a name may mean: score by item number, and how it was found."""

    scores: dict[int, float]
    how: str  # pinned | exact | core | thesaurus | latin | fuzzy | none

    @property
    def best(self) -> float:
        return max(self.scores.values(), default=0.0)


def decide(q: Question, index: Index) -> Verdict:
    """The verdict for one question against the list in force on index.on."""
    if not compact(q.name):
        return _unlisted(q, [], ambiguous=False)
    names = _names(q.name, index)
    if names.how == "licence":
        return _out_of_scope(q, index, next(iter(names.scores)))
    if names.how in ("none", "fuzzy") and names.best < CONFIDENT:
        return _not_found(q, names, index)
    return _judge(q, names, index)


def _names(name: str, index: Index) -> Names:
    full, stem = compact(name), core(name)
    if found := index.exact.get(full):
        pinned = index.official.get(full) if _QUALIFIER.search(name) else ()
        if pinned:  # the list's own name with its qualifier: that item, no look-alikes
            return Names(dict.fromkeys(pinned, 1.0), "pinned")
        return Names(_with_family(dict.fromkeys(found, 1.0), stem, index), "exact")
    if (licence := _licence(full, index)) is not None:
        return Names({licence: 1.0}, "licence")
    if found := index.cores.get(stem):
        return Names(_with_family(dict.fromkeys(found, 0.95), stem, index), "core")
    said = _thesaurus_names(full, stem, index)
    if said:
        return Names(said, "thesaurus")
    if is_latin(full):
        hit = index.latin.get(full)
        return Names(dict.fromkeys(hit, 0.9), "latin") if hit else Names({}, "none")
    scores = _fuzzy(stem, index)
    return Names(scores, "fuzzy" if scores else "none")


def _licence(full: str, index: Index) -> int | None:
    if not index.licences:
        return None
    for suffix in ("", *LICENCE_SUFFIXES):
        key = full[: len(full) - len(suffix)] if full.endswith(suffix) else ""
        if key and (found := index.licences.get(key)) is not None:
            return found
    return None


def _thesaurus_names(full: str, stem: str, index: Index) -> dict[int, float]:
    """Everyday certificate names (良民证 -> 无犯罪记录证明) looked up as the list's names."""
    scores: dict[int, float] = {}
    for key in dict.fromkeys((full, stem, full + "证明")):
        for target in index.thesaurus.names.get(key, ()):
            hit = index.exact.get(target) or index.cores.get(core(target))
            for n in _with_family(dict.fromkeys(hit, 0.93), core(target), index):
                scores.setdefault(n, 0.93 if n in hit else 0.9)
    return scores


def _with_family(scores: dict[int, float], stem: str, index: Index) -> dict[int, float]:
    """Add the look-alikes whose names contain the words asked (经济困难证明 -> 家庭经济困难证明
    for 学生资助): a name that fits items of different statuses must ask which is meant."""
    if len(stem) < 2:
        return scores
    postings = [index.grams.get(g, ()) for g in bigrams(stem)]
    rarest = min(postings, key=len)
    if len(rarest) > 20 * MAX_FAMILY:
        return scores
    for label_no in rarest:
        n = index.owners[label_no]
        if n not in scores and stem in index.stems[label_no]:
            scores[n] = 0.9
            if len(scores) >= MAX_FAMILY:
                break
    return scores


def _fuzzy(stem: str, index: Index) -> dict[int, float]:
    shared: Counter[int] = Counter()
    for g in bigrams(stem):
        shared.update(index.grams.get(g, ()))
    scores: dict[int, float] = {}
    for label_no, _ in shared.most_common(MAX_FUZZY):
        label, n = index.stems[label_no], index.owners[label_no]
        s = similarity(stem, label)
        if s > scores.get(n, 0.0):
            scores[n] = s
    return scores


def similarity(a: str, b: str) -> float:
    """The best of edit-distance ratio, bigram overlap and containment, in [0, 1]."""
    if a == b:
        return 1.0
    lev = 1 - levenshtein(a, b) / max(len(a), len(b))
    ga, gb = bigrams(a), bigrams(b)
    dice = 2 * len(ga & gb) / (len(ga) + len(gb)) if ga and gb else 0.0
    # A fragment ("犯罪") suggests the item but never names it.
    contained = 0.5 + 0.25 * min(len(a), len(b)) / max(len(a), len(b)) if a in b or b in a else 0
    return round(max(lev, dice, contained), 3)


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def search(text: str, index: Index) -> list[str]:
    """Codes a list search means: the same keys as decide(), looser, for browsing only."""
    names = _names(text, index)
    matches = {} if names.how == "licence" else dict(names.scores)
    stem = core(text)
    if stem and not is_latin(stem):
        for n, s in _fuzzy(stem, index).items():
            matches.setdefault(n, s)
    return [index.codes[n] for n, s in matches.items() if s >= SHOWN]


# ---------------------------------------------------------------- judging a known name


class Pair(msgspec.Struct):
    n: int
    matter: str  # normalised official matter
    score: float  # how surely the asker's matter is this one (0 without a matter)
    name_score: float


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
        if loose_kept:
            return _needs_matter(q, confident + loose_kept, names, index)
        best = max(confident, key=lambda p: (p.score, p.name_score))
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
    """No item surely named: a matter typed as the name, a sound-alike, or not on the list."""
    if not _looks_like_certificate(q.name):
        reading = index.read(q.name)
        hits = [m for m, s in index.catalogue.find(reading, limit=8) if s >= mt.CONFIDENT]
        if hits or (reading.known and reading.core not in mt.GENERIC):
            return _matter_as_name(q, hits, index)
    candidates = _candidates(dict(names.scores), index)
    said = sounds.sound(compact(q.name), index.readings) or ""
    heard = index.heard.get(said) or index.heard.get(sounds.sound(core(q.name), index.readings))
    if heard:
        alike = {n: SOUNDS_LIKE for n in heard}
        candidates = _candidates(
            alike | {n: s for n, s in names.scores.items() if n not in alike}, index
        )
        return _unlisted(q, candidates, ambiguous=True, sounds_like=True)
    return _unlisted(q, candidates, ambiguous=bool(names.scores) and names.best >= SHOWN)


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
        complaint_url=None if choices else _complaint(q, q.name.strip()),
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
    certs = [index.items[n] for n in dict.fromkeys(p.n for p in pairs)]
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
        guide_url=w.guide_url(q.matter, q.on or "") if q.matter else None,
        complaint_url=_complaint(q, name),
    )


def _retained(q: Question, best: Pair, gone: list[int], names: Names, index: Index) -> Verdict:
    cert = index.items[best.n]
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
    cert = index.items[n]
    if kind is VerdictKind.ABOLISHED:
        text, step = w.explain_abolished(cert), w.next_step(cert)
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
        for n, s in _fuzzy(core(index.items.names[bisect_left(index.codes, code)]), index).items():
            scores.setdefault(n, min(s, names.best - 0.01))
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
