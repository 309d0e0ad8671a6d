"""Matters in the asker's own words: "领失业金" is the list's "失业保险金申领". Pure: no I/O.

A Reading is the asker's words once normalised, stripped of spoken filler (我要办…的时候) and
expanded through the thesaurus (上户口 -> 户口登记, 落户). score() compares a reading with one
official matter: 1.0 the same words, 0.9x one contains the other or a thesaurus target does,
0.86 an abbreviation (低保 in 城乡最低生活保障), below CONFIDENT only shared words. Only a
confident score may ever lead to may_require; anything less asks back.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache

import msgspec

from registry.catalogue.vocab import Term, TermKind
from registry.checker.textnorm import bigrams, compact

CONFIDENT = 0.85  # from here a matter counts as the one the asker means
LOOSE = 0.45  # shares real words: never "another matter"
FIND_POOL = 80  # official matters sharing the most words, scored exactly

# Spoken filler around a matter: 我要 / 去 / 办 / 申请 … 的时候 / 手续 / 用.
PREFIXES = (
    "我们要", "我要去", "我想要", "我想", "我要", "想要", "需要", "准备", "打算", "给孩子",
    "给小孩", "给老人", "给家里", "帮孩子", "帮", "给", "想", "要", "去", "到", "在",
    "办理", "申请办理", "申请", "申领", "领取", "办", "领", "弄", "搞", "做", "交",
)  # fmt: skip
SUFFIXES = (
    "的时候", "时候", "的手续", "手续", "的业务", "业务", "的事情", "事情", "的事", "事项",
    "用的", "用", "时", "的", "了", "吗", "呢", "啊",
)  # fmt: skip
# Words that alone say nothing about which matter: "登记" is half the list.
GENERIC = frozenset(
    """
        登记 申请 办理 申领 领取 补贴 认定 许可 证明
        事项 手续 业务 待遇 资格 备案 变更 注销 审批
        发放 补助 核查 服务 相关 材料 证件 办证 证
        变更登记 注册 手续费 其他 事 办事 报名 审核 申报
        确认 核定 给付 领 办 补办 换证 年审 审验
        复核
    """.split()  # noqa: SIM905
)
WHO = frozenset({"孩子", "小孩", "儿子", "女儿", "老人", "父母", "家里", "我家", "自己", "本人"})
# An official matter worded like this may cover more than it names ("领取待遇等涉及…的事项"):
# never conclude that the asker's matter is not one of them.
VAGUE_MARKS = ("事项", "等", "相关", "涉及", "需要", "时", "其他", "各类", "各种")


def normalise(text: str) -> str:
    """compact(): NFKC, Traditional -> Simplified, no spaces or punctuation."""
    return compact(text)


def strip_filler(text: str) -> str:
    """The matter's own words: 我要办居住证的时候 -> 居住证."""
    changed = True
    while changed and len(text) > 2:
        changed = False
        for p in PREFIXES:
            if text.startswith(p) and len(text) - len(p) >= 2:
                text, changed = text[len(p) :], True
                break
        for s in SUFFIXES:
            if text.endswith(s) and len(text) - len(s) >= 2:
                text, changed = text[: -len(s)], True
                break
    return text


def is_vague(official: str) -> bool:
    return any(mark in official for mark in VAGUE_MARKS)


@lru_cache(maxsize=4096)
def _content(core: str, targets: tuple[str, ...]) -> frozenset[str]:
    """The words (bigrams) of a reading that say something: generic ones removed."""
    return frozenset(g for w in (core, *targets) for g in bigrams(w)) - GENERIC


def is_abbreviation(short: str, long: str) -> bool:
    """short's characters in order inside long, close together: 失业金 / 失业保险金申领."""
    if len(short) < 2 or len(short) >= len(long) or short[0] not in long:
        return False
    start = pos = long.index(short[0])
    for ch in short[1:]:
        pos = long.find(ch, pos + 1)
        if pos < 0:
            return False
    return pos - start + 1 <= 2 * len(short) + 2


class Reading(msgspec.Struct, frozen=True):
    """The asker's matter, read: its words, its core and what the thesaurus says it means."""

    text: str  # normalised
    core: str  # without filler
    targets: tuple[str, ...]  # official wording it stands for (normalised)
    known: bool  # the words as a whole are a matter we know (thesaurus or the list)
    domains: tuple[str, ...] = ()


class Thesaurus:
    """Everyday phrases (of matters and of certificate names) -> official words, normalised."""

    def __init__(self, terms: Iterable[Term]) -> None:
        matter: dict[str, set[str]] = defaultdict(set)
        domains: dict[str, set[str]] = defaultdict(set)
        names: dict[str, set[str]] = defaultdict(set)
        for t in terms:
            targets = {normalise(x) for x in t.targets} - {""}
            table = matter if t.kind is TermKind.MATTER else names
            for phrase in {normalise(p) for p in (*t.phrases, *t.targets)} - {""}:
                table[phrase] |= targets
                if t.kind is TermKind.MATTER and t.domain:
                    domains[phrase].add(t.domain)
        self.matter = {k: tuple(sorted(v)) for k, v in matter.items()}
        self.domains = {k: tuple(sorted(v)) for k, v in domains.items()}
        self.names = {k: tuple(sorted(v)) for k, v in names.items()}
        self.longest = max(map(len, self.matter), default=0)

    def read(self, text: str, official: frozenset[str] = frozenset()) -> Reading:
        """The phrases found in the words (longest first, not overlapping), and their targets.
        Both the words as typed and without filler are scanned: 领养孩子 must not lose 领."""
        norm = normalise(text)
        core = strip_filler(norm)
        found: list[str] = []
        known = core in official or norm in official
        for words in dict.fromkeys((norm, core)):
            pieces = self._phrases(words)
            found += pieces
            known = known or (bool(pieces) and _mostly(words, pieces))
        targets = {t for p in found for t in self.matter[p]}
        domains = tuple(sorted({d for p in found for d in self.domains.get(p, ())}))
        return Reading(norm, core, tuple(sorted(targets)), known, domains)

    def _phrases(self, words: str) -> list[str]:
        found: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(self.longest, len(words) - i), 1, -1):
                piece = words[i : i + size]
                if piece in self.matter:
                    found.append(piece)
                    i += size
                    break
            else:
                i += 1
        return found


def inside_target(official: str, target: str) -> bool:
    """An official matter worded shorter than the target (落户 inside 新生儿落户), never a
    generic one (登记 inside 结婚登记)."""
    return len(official) >= 2 and official not in GENERIC and official in target


def _mostly(words: str, pieces: list[str]) -> bool:
    """The phrases found say most of what the words say: what is left, less generic words and
    who it is for (孩子, 老人), is at most two characters or 40 %."""
    rest = words
    for piece in pieces:
        rest = rest.replace(piece, "", 1)
    for word in sorted(GENERIC | WHO, key=len, reverse=True):
        if len(word) >= 2:
            rest = rest.replace(word, "")
    return len(rest) <= max(2, len(words) * 4 // 10)


def score(r: Reading, official: str) -> float:
    """How surely the asker's matter is this official matter (normalised), in [0, 1]."""
    core = r.core
    if not core or not official:
        return 0.0
    if core == official or r.text == official:
        return 1.0
    best = 0.0
    inside = len(official) >= 2 and official not in GENERIC and official in core
    if len(core) >= 2 and core not in GENERIC and (core in official or inside):
        best = 0.95
    for t in r.targets:
        if t == official:
            best = max(best, 0.97)
        elif t not in GENERIC and (t in official or inside_target(official, t)):
            best = max(best, 0.93)
    if best:
        return best
    # Abbreviations (失业金 in 失业保险金申领) of three characters or more: two are too easily
    # found scattered (领养 in 领取养老金). The thesaurus' own reading comes first.
    if not r.targets and len(core) >= 3 and core not in GENERIC and is_abbreviation(core, official):
        return 0.86
    if any(len(t) >= 3 and t not in GENERIC and is_abbreviation(t, official) for t in r.targets):
        return 0.86
    mine = _content(core, r.targets)
    theirs = bigrams(official) - GENERIC
    shared = mine & theirs
    if not shared:
        return 0.0
    share = len(shared) / max(1, min(len(mine), len(theirs)))
    if len(shared) < 2 and share < 0.34:
        return 0.3  # one incidental word ("新生" in 新生入学 and 新生儿出生登记): below LOOSE
    return round(min(0.8, 0.4 + 0.4 * share), 3)


class Catalogue:
    """Every official matter on a list (normalised, distinct), found by shared words."""

    def __init__(self, officials: Iterable[str]) -> None:
        self.texts: list[str] = sorted(set(officials) - {""})
        self.numbers = {t: n for n, t in enumerate(self.texts)}
        grams: dict[str, array[int]] = defaultdict(lambda: array("i"))
        for n, text in enumerate(self.texts):
            for g in (bigrams(text) - GENERIC) | set(text):  # characters: for 低保-like words
                grams[g].append(n)
        self.grams = dict(grams)
        self.known = frozenset(self.texts)

    def find(self, r: Reading, limit: int = 50) -> list[tuple[str, float]]:
        """Official matters the reading may mean, best first (scores from score())."""
        hits: Counter[int] = Counter()
        for word in (r.core, *r.targets):
            for g in bigrams(word) - GENERIC:
                hits.update(self.grams.get(g, ()))
        if len(r.core) <= 4:  # an abbreviation shares characters, not words
            for ch in set(r.core):
                hits.update(self.grams.get(ch, ()))
        scored = ((self.texts[n], score(r, self.texts[n])) for n, _ in hits.most_common(FIND_POOL))
        ranked = sorted((s for s in scored if s[1] > 0), key=lambda s: (-s[1], s[0]))
        return ranked[:limit]
