"""The list in force on one date, as the checker reads it: every way a person may type a name
(names, aliases, normalised forms, pinyin, sounds), the vocabulary (thesaurus, licences) and the
catalogue of official matters; and the look-up of the items a typed name may mean. Pure."""

from __future__ import annotations

import datetime as dt
import re
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict

from rapidfuzz.distance import Levenshtein

from registry import matters as mt
from registry import sounds
from registry.itemstore import Items
from registry.keytable import key_table
from registry.models import Certificate
from registry.textnorm import bigrams, compact, core, is_latin, pinyin
from registry.verdicts import Names
from registry.vocab import EMPTY, Vocabulary

EXACT = 0.9  # scores from here up come from a name, alias, normalised form or pinyin key
CONFIDENT = 0.8  # fuzzy similarity from which a match counts as the item meant
SHOWN = 0.4  # lowest score offered as "did you mean"
MAX_CANDIDATES = 5
MAX_FAMILY = 40
CERT_MEMO = 4096  # Certificates kept built per index
MAX_FUZZY = 60  # labels scored exactly after the bigram pre-filter
PHRASE_PINYIN_LIMIT = 20_000  # context-aware pinyin is slow; big lists read per character
_QUALIFIER = re.compile(r"[(（\[【〔]")
# Licence names are typed with these too: 身份证原件, 户口本复印件.
LICENCE_SUFFIXES = ("原件和复印件", "原件", "复印件", "正本", "副本", "首页", "本人页")


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
        small = len(certs) <= PHRASE_PINYIN_LIMIT
        self.exact, self.cores = key_table(exact, small=small), key_table(cores, small=small)
        self.latin, self.heard = key_table(latin, small=small), key_table(heard, small=small)
        self.official = key_table(official, small=small)
        # Items asked about come again and again: each built once (a Certificate costs ~14 us).
        self._certs: dict[int, Certificate] = {}
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

    def cert(self, n: int) -> Certificate:
        """Item n as a Certificate, shared read-only: never change what this returns."""
        found = self._certs.get(n)
        if found is None:
            if len(self._certs) >= CERT_MEMO:
                self._certs.clear()
            found = self._certs[n] = self.items[n]
        return found

    def matters_of(self, code: str) -> tuple[str, ...]:
        """The compacted matters of the item with this code (for tests and explanations)."""
        return self.matters[bisect_left(self.codes, code)]

    def read(self, matter: str) -> mt.Reading:
        return self.thesaurus.read(matter, self.catalogue.known)

    def __len__(self) -> int:
        return len(self.items)


def names_of(name: str, index: Index) -> Names:
    full, stem = compact(name), core(name)
    if found := index.exact.get(full):
        pinned = index.official.get(full) if _QUALIFIER.search(name) else ()
        if pinned:  # the list's own name with its qualifier: that item, no look-alikes
            return Names(dict.fromkeys(pinned, 1.0), "pinned")
        return Names(_with_family(dict.fromkeys(found, 1.0), stem, index), "exact")
    if (licence := _licence(full, index)) is not None:
        lic = index.vocab.licences[licence]
        on_list = [n for label in (lic.name, *lic.aliases) for n in index.exact.get(compact(label))]
        if not on_list:
            return Names({licence: 1.0}, "licence")
        # This list keeps the document itself as a certificate item (some lists keep 残疾人证).
        return Names(dict.fromkeys(on_list, 1.0), "exact")
    if found := index.cores.get(stem):
        return Names(_with_family(dict.fromkeys(found, 0.95), stem, index), "core")
    said = _thesaurus_names(full, stem, index)
    if said:
        return Names(said, "thesaurus")
    if full != stem and (family := _with_family({}, stem, index)):
        # "诊断证明": no item is called that, but these items' names contain the words.
        return Names(family, "family")
    if is_latin(full):
        hit = index.latin.get(full)
        return Names(dict.fromkeys(hit, 0.9), "latin") if hit else Names({}, "none")
    scores = _fuzzy(stem, index)
    if (not scores or max(scores.values()) < EXACT) and (tail := _without_preamble(full)):
        shorter = names_of(tail, index)  # 村里开的出生证明 -> 出生证明
        if shorter.how not in ("none", "fuzzy"):
            return shorter
    return Names(scores, "fuzzy" if scores else "none")


def _without_preamble(full: str) -> str:
    """The certificate's name after who issues it or whose it is: 单位开的离职证明 -> 离职证明,
    孩子的出生证明 -> 出生证明 ('' when there is no such preamble)."""
    for mark in ("开的", "出的", "的"):
        at = full.rfind(mark)
        if at >= 0 and len(full) - at - len(mark) >= 2:
            return full[at + len(mark) :]
    return ""


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


def lookalikes(stem: str, index: Index) -> dict[int, float]:
    """Names sharing words with stem, scored by bigram overlap alone: cheap, for "did you
    mean" (the edit distance of _fuzzy costs ~20 us a label)."""
    mine = bigrams(stem)
    shared: Counter[int] = Counter()
    for g in mine:
        shared.update(index.grams.get(g, ()))
    scores: dict[int, float] = {}
    for label_no, count in shared.most_common(MAX_CANDIDATES * 4):
        n = index.owners[label_no]
        label = index.stems[label_no]
        dice = 2 * count / (len(mine) + max(1, len(label) - 1))
        scores[n] = max(scores.get(n, 0.0), round(dice, 3))
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
    return int(Levenshtein.distance(a, b))  # C: ~0.5 us, against ~60 us in Python


def search(text: str, index: Index) -> list[str]:
    """Codes a list search means: the same keys as decide(), looser, for browsing only."""
    names = names_of(text, index)
    matches = {} if names.how == "licence" else dict(names.scores)
    stem = core(text)
    if stem and not is_latin(stem):
        for n, s in _fuzzy(stem, index).items():
            matches.setdefault(n, s)
    return [index.codes[n] for n, s in matches.items() if s >= SHOWN]
