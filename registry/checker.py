"""Can they ask me for this certificate? A pure decision over an in-memory index: no I/O.

Safety rule: may_require is true only for a confident match to a retained item listed for the
matter asked about (or when no matter is given). Weak or ambiguous matches answer `unlisted`
with candidates, never a guess that lets a department demand something.
"""

from __future__ import annotations

import datetime as dt
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from enum import StrEnum
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import msgspec

from registry.itemstore import Items
from registry.keytable import KeyTable
from registry.models import Certificate, Status
from registry.textnorm import bigrams, compact, core, is_latin, pinyin
from registry.vocab import EMPTY, Vocabulary

EXACT = 0.9  # scores from here up come from a name, alias, normalised form or pinyin key
CONFIDENT = 0.8  # fuzzy similarity from which a match counts as the item meant
SHOWN = 0.4  # lowest score offered as "did you mean"
MAX_CANDIDATES = 5
MAX_FUZZY = 60  # labels scored exactly after the bigram pre-filter
PHRASE_PINYIN_LIMIT = 20_000  # context-aware pinyin is slow; big lists read per character


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


class GuideItem(msgspec.Struct, kw_only=True):
    code: str
    name: str
    status: Status
    may_require: bool
    next_step: str
    url: str  # the verdict page for (this item, this matter)


class MatterGuide(msgspec.Struct, kw_only=True):
    """办理 X 时：可以要求 …（保留）；不得要求 …（已取消，改为 …）"""

    matter: str
    domain: str
    url: str
    required: list[GuideItem]
    not_required: list[GuideItem]


class Question(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    matter: str | None = None
    department: str | None = None


class Index:
    """The list in force on one date, keyed every way a person may type a name.

    Items are numbered in code order and stored by column (itemstore.Items); every table maps
    to item numbers, and the key tables are KeyTables, so a 200,000-item list fits a small
    worker.
    """

    def __init__(
        self, certs: list[Certificate], on: dt.date, vocab: Vocabulary = EMPTY
    ) -> None:
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
        cores: dict[str, list[int]] = defaultdict(list)
        latin: dict[str, list[int]] = defaultdict(list)
        phrase = len(certs) <= PHRASE_PINYIN_LIMIT
        for n, c in enumerate(certs):
            for label in [c.name, *c.aliases]:
                full, stem = compact(label), core(label)
                exact[full].append(n)
                cores[stem].append(n)
                for text in {full, stem}:
                    for key in pinyin(text, phrase=phrase) + (pinyin(text) if phrase else ()):
                        if len(key) >= 3:
                            latin[key].append(n)
                label_no = len(self.stems)
                self.stems.append(stem)
                self.owners.append(n)
                for g in bigrams(stem):
                    grams[g].append(label_no)
        self.grams = dict(grams)  # a plain dict: an index can be pickled (built in a child)
        self.exact, self.cores, self.latin = KeyTable(exact), KeyTable(cores), KeyTable(latin)

    def matters_of(self, code: str) -> tuple[str, ...]:
        """The compacted matters of the item with this code (for tests and explanations)."""
        return self.matters[bisect_left(self.codes, code)]

    def __len__(self) -> int:
        return len(self.items)


def decide(q: Question, index: Index) -> Verdict:
    """The verdict for one question against the list in force on index.on."""
    matches, confident = _match(q.name, index)
    best = max(matches.values(), default=0.0)
    top = sorted(n for n, s in matches.items() if s >= best - 1e-9)  # numbered in code order
    if 0 < best < 1.0:
        # Matched loosely: show look-alikes too (a retained item beside abolished namesakes).
        for n, s in _fuzzy(core(q.name), index).items():
            matches.setdefault(n, min(s, best - 0.01))
    candidates = _candidates(matches, index)
    if not confident:
        return _unlisted(q, candidates, ambiguous=False)
    verdict = _resolve(q, top, candidates, index)
    if verdict.may_require and best < EXACT:
        # A near miss never licenses a demand: ask the person to confirm the name first.
        return _unlisted(q, candidates, ambiguous=True)
    return verdict


def search(text: str, index: Index) -> list[str]:
    """Codes a list search means: the same keys as decide(), looser, for browsing only."""
    matches, _ = _match(text, index)
    stem = core(text)
    if stem and not is_latin(stem):
        for n, s in _fuzzy(stem, index).items():
            matches.setdefault(n, s)
    return [index.codes[n] for n, s in matches.items() if s >= SHOWN]


def _match(name: str, index: Index) -> tuple[dict[int, float], bool]:
    """Scores by item number, and whether the best is confident enough to name the item."""
    full, stem = compact(name), core(name)
    if not full:
        return {}, False
    for table, key, score in ((index.exact, full, 1.0), (index.cores, stem, 0.95)):
        if found := table.get(key):
            return dict.fromkeys(found, score), True
    if is_latin(full):
        hit = index.latin.get(full)
        return (dict.fromkeys(hit, 0.9), True) if hit else ({}, False)
    scores = _fuzzy(stem, index)
    return scores, bool(scores) and max(scores.values()) >= CONFIDENT


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


def _candidates(matches: dict[int, float], index: Index) -> list[Candidate]:
    ranked = sorted(matches.items(), key=lambda kv: (-kv[1], kv[0]))  # numbers: code order
    items = index.items
    return [
        Candidate(items.codes[n], items.names[n], items.status(n), round(score, 2))
        for n, score in ranked[:MAX_CANDIDATES]
        if score >= SHOWN
    ]


def _for_matter(items: list[int], q: Question, index: Index) -> list[int]:
    want = compact(q.matter or "")
    if not want:  # no matter, or only punctuation: nothing to narrow by
        return items
    return [n for n in items if any(want in m or m in want for m in index.matters[n] if m)]


def _resolve(q: Question, top: list[int], candidates: list[Candidate], index: Index) -> Verdict:
    statuses = {index.items.status(n) for n in top}
    if statuses == {Status.ABOLISHED}:
        chosen = _for_matter(top, q, index) or top[:1]
        return _verdict(VerdictKind.ABOLISHED, q, index.items[chosen[0]], candidates, index)
    listed = _for_matter(top, q, index)
    if statuses == {Status.RETAINED}:
        if listed:
            return _verdict(VerdictKind.RETAINED, q, index.items[listed[0]], candidates, index)
        return _verdict(
            VerdictKind.RETAINED_OTHER_MATTER, q, index.items[top[0]], candidates, index
        )
    # Retained and abolished items share the name: only the matter can tell them apart.
    if q.matter and len(listed) == 1:
        cert = index.items[listed[0]]
        kind = VerdictKind.RETAINED if cert.status is Status.RETAINED else VerdictKind.ABOLISHED
        return _verdict(kind, q, cert, candidates, index)
    return _unlisted(q, candidates, ambiguous=True)


def _verdict(
    kind: VerdictKind, q: Question, cert: Certificate, candidates: list[Candidate], index: Index
) -> Verdict:
    others = [c for c in candidates if c.code != cert.code]
    may = kind is VerdictKind.RETAINED
    return Verdict(
        verdict=kind,
        may_require=may,
        certificate=cert,
        candidates=others,
        explanation=explain(kind, q, cert),
        complaint_url=None if may else complaint_url(q, cert.name),
    )


def _unlisted(q: Question, candidates: list[Candidate], *, ambiguous: bool) -> Verdict:
    return Verdict(
        verdict=VerdictKind.UNLISTED,
        may_require=False,
        certificate=None,
        candidates=candidates,
        explanation=explain(VerdictKind.UNLISTED, q, None, ambiguous=ambiguous),
        complaint_url=complaint_url(q, q.name.strip()),
    )


def explain(
    kind: VerdictKind, q: Question, cert: Certificate | None, *, ambiguous: bool = False
) -> str:
    """One plain sentence first (可以要求 / 不得要求), then what to do."""
    if kind is VerdictKind.UNLISTED or cert is None:
        name = q.name.strip()[:50]
        if ambiguous:
            return (
                f"不得要求：清单上没有与“{name}”完全一致的证明，无法确定是哪一项，"
                "在确认之前不得索要。请从下面的候选中点选准确名称再查。"
            )
        return f"不得要求：“{name}”不在证明事项清单上，清单之外一律不得索要。"
    matters = "、".join(cert.matters) or "清单列明的事项"
    if kind is VerdictKind.RETAINED:
        given = compact(q.matter or "")
        scope = f"办理“{q.matter}”时可以索要" if given else f"只能在办理{matters}时索要"
        return f"可以要求：“{cert.name}”在保留清单上（依据：{cert.legal_basis}），{scope}。"
    if kind is VerdictKind.RETAINED_OTHER_MATTER:
        return (
            f"不得要求：“{cert.name}”虽在保留清单上，但只能在办理{matters}时索要，"
            f"办理“{q.matter}”不得索要。"
        )
    when = f"自{cert.effective_from}起" if cert.effective_from else ""
    doc = f"（{cert.decision_doc}）" if cert.decision_doc else ""
    instead = f"办理时应改为：{cert.replacement}。" if cert.replacement else ""
    return f"不得要求：“{cert.name}”{when}已经取消{doc}。{instead}"


def complaint_url(q: Question, name: str) -> str:
    return _complaint_url(name, q.matter or "", q.department or "")


@lru_cache(maxsize=4096)
def _complaint_url(name: str, matter: str, department: str) -> str:
    """Kept: the same few questions come again and again (urlencode costs ~30 µs)."""
    params = {"certificate_name": name, "matter": matter, "department": department}
    return "/complaints/new?" + urlencode({k: v for k, v in params.items() if v})


# ---------------------------------------------------------------- the matter guide


def guide(text: str, index: Index, limit: int = 20) -> list[MatterGuide]:
    """The official matters the words mean (everyday words through the thesaurus), best
    first; every matter on the list when text is blank."""
    raise NotImplementedError


def matter_guide(matter: str, index: Index) -> MatterGuide | None:
    """One official matter (as the list writes it): which certificates may be demanded for it
    and which may not (with the way that replaces each)."""
    raise NotImplementedError


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
