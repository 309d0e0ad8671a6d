"""The list in force on one date, as the checker reads it: every way a person may type a name
(names, aliases, normalised forms, pinyin, sounds), the vocabulary (thesaurus, licences) and the
catalogue of official matters; and the look-up of the items a typed name may mean. Pure."""

from __future__ import annotations

import datetime as dt
import re
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import TypeVar

from rapidfuzz.distance import Levenshtein

from registry.catalogue.models import Certificate
from registry.catalogue.vocab import EMPTY, Vocabulary
from registry.checker import matters as mt
from registry.checker import sounds
from registry.checker.itemstore import Items
from registry.checker.keytable import key_table
from registry.checker.textnorm import BRACKETS, bigrams, compact, core, is_latin, pinyin
from registry.checker.verdicts import Names

T = TypeVar("T")

EXACT = 0.9  # scores from here up come from a name, alias, normalised form or pinyin key
CONFIDENT = 0.8  # fuzzy similarity from which a match counts as the item meant
SHOWN = 0.4  # lowest score offered as "did you mean"
MAX_CANDIDATES = 5
MAX_FAMILY = 40
CERT_MEMO = 4096  # Certificates kept built per index
MAX_FUZZY = 60  # labels scored exactly after the bigram pre-filter
PHRASE_PINYIN_LIMIT = 20_000  # context-aware pinyin is slow; big lists read per character
_QUALIFIER = re.compile(r"[(（\[【〔]")
_ALTERNATIVES = re.compile(r"[/／、]|或者|或")  # 录用证明/录取证明/准予迁入证明
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
            for label in labels(c):
                full, stem = compact(label), core(label)
                exact[full].append(n)
                cores[stem].append(n)
                # Big lists keep the keys people use most: sound-alikes and the pinyin of a
                # name without its brackets only up to PHRASE_PINYIN_LIMIT items (memory).
                texts = {full, stem, compact(BRACKETS.sub("", label))} if phrase else {full, stem}
                for text in texts:
                    for key in pinyin(text, phrase=phrase) + (pinyin(text) if phrase else ()):
                        if len(key) >= 3:
                            latin[key].append(n)
                    if phrase and (said := sounds.sound(text, self.readings)):
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
        self._memo: dict[tuple[str, int], object] = {}
        self._families: dict[str, tuple[int, ...]] = {}
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
        # Everyday certificate names by sound (健康症 -> 健康证): phrases to look up as names.
        self.heard_names: dict[str, tuple[str, ...]] = {}
        for everyday in self.thesaurus.names:
            said = sounds.sound(everyday, self.readings)
            if said:
                self.heard_names[said] = (*self.heard_names.get(said, ()), everyday)
        self.licences: dict[str, int] = {}
        for i, lic in enumerate(vocab.licences):
            for label in (lic.name, *lic.aliases):
                self.licences.setdefault(compact(label), i)

    def memo(self, kind: str, n: int, make: Callable[[], T]) -> T:
        """What is worked out once per item (its look-alikes, its next step …), kept."""
        key = (kind, n)
        if key not in self._memo:
            if len(self._memo) >= 4 * CERT_MEMO:
                self._memo.clear()
            self._memo[key] = make()
        return self._memo[key]  # type: ignore[return-value]

    def family(self, stem: str) -> tuple[int, ...]:
        """family_of(stem), kept: the stems of the list's own names come again and again,
        whatever spelling led to them."""
        found = self._families.get(stem)
        if found is None:
            if len(self._families) >= CERT_MEMO:
                self._families.clear()
            found = self._families[stem] = family_of(stem, self)
        return found

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


def labels(c: Certificate) -> list[str]:
    """The names an item answers to: its name, aliases, and each of the alternatives a name
    packs together (录用证明/录取证明/准予迁入证明)."""
    out = [c.name, *c.aliases]
    bare = BRACKETS.sub("", c.name)
    parts = [p for p in _ALTERNATIVES.split(bare) if len(compact(p)) >= 3]
    if len(parts) > 1:
        out += parts
    return out


# Paper words at the end of a name (证明书, 函, 声明 …): without them the words that say what.
PAPER_ENDINGS = (
    "证明材料", "证明文件", "证明书", "证明信", "通知书", "证明", "材料", "声明", "意见", "证",
    "书", "函", "表", "单",
)  # fmt: skip
# Words that end a preamble before the certificate's name: 单位开的X, 派出所要我开X, 孩子的X.
PREAMBLE_MARKS = ("开的", "出的", "要我开", "让我开", "叫我开", "开一份", "开一个", "开个", "的")
# Who issued it, as people say it (村里开的 …): items whose name or issuer say the same.
ISSUER_MARKS = {
    "村": ("村", "居民委员会", "居委"),
    "社区": ("社区", "居民委员会", "村（居）", "村居"),
    "居委": ("居民委员会", "居委", "村居"),
    "派出所": ("公安",),
    "公安": ("公安",),
    "医院": ("医院", "医疗"),
}


def paper_core(full: str) -> str:
    for ending in PAPER_ENDINGS:
        if full.endswith(ending) and len(full) - len(ending) >= 2:
            return full[: -len(ending)]
    return full


def names_of(name: str, index: Index) -> Names:
    full, stem = compact(name), core(name)
    if _QUALIFIER.search(name):
        for typed in (full, *(full[: -len(e)] for e in ("证明", "书") if full.endswith(e))):
            if pinned := index.official.get(typed):
                # The list's own name with its qualifier (证明 added or not): that item alone.
                return Names(dict.fromkeys(pinned, 1.0), "pinned")
    if found := index.exact.get(full):
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
    words = paper_core(full) if full == stem else stem
    if words != full and (family := _with_family({}, words, index)):
        # "诊断证明", "职业病诊断书": no item is called that, but these items' names contain
        # the words.
        return Names(family, "family")
    if is_latin(full):
        hit = index.latin.get(full)
        return Names(dict.fromkeys(hit, 0.9), "latin") if hit else Names({}, "none")
    scores = _fuzzy(stem, index)
    if not scores or max(scores.values()) < EXACT:
        for tail, sure in _tails(full, index):
            shorter = names_of(tail, index)  # 村里开的出生证明 -> 出生证明
            if shorter.how not in ("none", "fuzzy"):
                found_ = _issued_by(full[: len(full) - len(tail)], shorter, index)
                if sure:
                    return found_
                # Words before a known name may change what it is (亲子关系证明 is no 关系证明)
                # or be a typo (非正長死亡证明): the items are only offered.
                return Names({n: min(s, 0.75) for n, s in found_.scores.items()}, "tail")
    return Names(scores, "fuzzy" if scores else "none")


def _tails(full: str, index: Index) -> list[tuple[str, bool]]:
    """The name without words before it, and whether those words are surely a preamble: after
    开的 / 的 (sure), or the longest ending that is a name the list or the thesaurus knows
    (领养体检证明 -> 体检证明: not sure)."""
    out = []
    for mark in PREAMBLE_MARKS:
        at = full.rfind(mark)
        if at >= 0 and len(full) - at - len(mark) >= 2:
            out.append((full[at + len(mark) :], True))
            break
    for start in range(1, len(full) - 2):
        tail = full[start:]
        if tail in index.thesaurus.names or index.exact.get(tail):
            out.append((tail, False))
            break
    return out


def _issued_by(preamble: str, found: Names, index: Index) -> Names:
    """村里开的X: of the items X may mean, those issued by a village committee, if any."""
    wanted = [keys for mark, keys in ISSUER_MARKS.items() if mark in preamble]
    if not wanted:
        return found
    chosen = {}
    for n, s in found.scores.items():
        said = index.items.names[n] + str(index.items.value(n, "issuer"))
        if all(any(k in said for k in keys) for keys in wanted):
            chosen[n] = s
    return Names(chosen, found.how) if chosen else found


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
    for n in index.family(stem):
        if len(scores) >= MAX_FAMILY:
            break
        scores.setdefault(n, 0.9)
    return scores


def family_of(stem: str, index: Index) -> tuple[int, ...]:
    """Items whose names' cores contain stem (two characters at least), in label order."""
    if len(stem) < 2:
        return ()
    postings = [index.grams.get(g, ()) for g in bigrams(stem)]
    rarest = min(postings, key=len)
    if len(rarest) > 20 * MAX_FAMILY:
        return ()
    found: dict[int, None] = {}
    for label_no in rarest:
        if stem in index.stems[label_no]:
            found[index.owners[label_no]] = None
            if len(found) >= MAX_FAMILY:
                break
    return tuple(found)


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
