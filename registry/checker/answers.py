"""The checker's answers built as Verdicts: choices with their own links, the plain words and
next steps (checker.wording), candidates. Pure; checker.decide decides which answer."""

from __future__ import annotations

from bisect import bisect_left

from registry.catalogue.models import Status
from registry.checker import wording as w
from registry.checker.nameindex import MAX_CANDIDATES, SHOWN, Index, lookalikes
from registry.checker.reasons import Reason
from registry.checker.textnorm import compact, core
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

MAX_CHOICES = 12
OTHER_WORDS = frozenset(
    map(compact, ("其他事项", "其他", "其它", "其他事", "办其他事", "别的事", "都不是", "other"))
)


def choices(q: Question, pairs: list[Pair], index: Index) -> list[Choice]:
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


def needs_matter(q: Question, pairs: list[Pair], names: Names, index: Index) -> Verdict:
    offered = choices(q, pairs, index)
    shown = {c.code for c in offered}
    certs = [index.cert(n) for n in dict.fromkeys(p.n for p in pairs)]
    top = sorted(names.scores, key=lambda n: (-names.scores[n], n))[0]
    name = q.name.strip()[:50]
    return Verdict(
        verdict=VerdictKind.NEEDS_MATTER,
        may_require=False,
        certificate=None,
        choices=offered,
        candidates=[c for c in candidates(dict(names.scores), index) if c.code not in shown],
        reasons=w.explain_needs_matter(name, certs, q.matter),
        next_step_reasons=w.NEEDS_MATTER_STEP,
        other_url=w.check_url(index.items.names[top], OTHER_MATTER, q.department or "", q.on or ""),
        guide_url=w.guide_url(q.matter or "", q.on or ""),  # blank: every matter
        complaint_url=complaint(q, name),
    )


def retained(q: Question, best: Pair, gone: list[int], names: Names, index: Index) -> Verdict:
    cert = index.cert(best.n)
    matter = index.matter_text.get(best.matter, q.matter or "")
    lookalikes = [index.items.names[n] for n in dict.fromkeys(gone) if n != best.n]
    return Verdict(
        verdict=VerdictKind.RETAINED,
        may_require=True,
        certificate=cert,
        matter=matter,
        candidates=others(cert.code, names, index),
        reasons=w.explain_retained(cert, matter, lookalikes),
        next_step_reasons=index.memo("step", best.n, lambda: w.next_step(cert)),
        guide_url=w.matter_url(matter, q.on or ""),
        complaint_url=None,
    )


def verdict(
    kind: VerdictKind, q: Question, n: int, names: Names, index: Index, matter: str = ""
) -> Verdict:
    cert = index.cert(n)
    if kind is VerdictKind.ABOLISHED:
        text = index.memo("explain", n, lambda: w.explain_abolished(cert))
        step = index.memo("step", n, lambda: w.next_step(cert))
        if not matter and len(names.scores) > 1:  # none of the namesakes is for this matter
            text = [*text, w.all_abolished(q.name.strip()[:50], len(names.scores))]
    else:
        asked = None if compact(q.matter or "") in OTHER_WORDS else q.matter
        kept = [
            index.cert(k)
            for k in names.scores
            if k != n and index.items.status(k) is Status.RETAINED
        ]
        text, step = w.explain_other_matter(cert, asked, kept), w.OTHER_MATTER_STEP
    return Verdict(
        verdict=kind,
        may_require=False,
        certificate=cert,
        matter=index.matter_text.get(matter) if matter else None,
        candidates=others(cert.code, names, index),
        reasons=text,
        next_step_reasons=step,
        complaint_url=complaint(q, cert.name),
    )


def others(code: str, names: Names, index: Index) -> list[Candidate]:
    scores = dict(names.scores)
    if names.best < 1.0:  # matched loosely: show the look-alikes too
        n = bisect_left(index.codes, code)
        alike = index.memo("alike", n, lambda: lookalikes(core(index.items.names[n]), index))
        for k, s in alike.items():
            scores.setdefault(k, min(s, names.best - 0.01))
    return [c for c in candidates(scores, index) if c.code != code]


def out_of_scope(q: Question, index: Index, licence_no: int) -> Verdict:
    lic = index.vocab.licences[licence_no]
    return Verdict(
        verdict=VerdictKind.OUT_OF_SCOPE,
        may_require=False,
        certificate=None,
        licence=LicenceInfo(
            name=lic.name, issuer=lic.issuer, rule=lic.rule, legal_basis=lic.legal_basis
        ),
        reasons=w.explain_out_of_scope(lic.name, lic.rule),
        next_step_reasons=[Reason("licence.rule", {"rule": lic.rule})] if lic.rule else [],
        complaint_url=complaint(q, q.name.strip()),
    )


def unlisted(
    q: Question, candidates: list[Candidate], *, ambiguous: bool, sounds_like: bool = False
) -> Verdict:
    return Verdict(
        verdict=VerdictKind.UNLISTED,
        may_require=False,
        certificate=None,
        candidates=candidates,
        reasons=w.explain_unlisted(q.name, ambiguous=ambiguous, sounds_like=sounds_like),
        next_step_reasons=w.UNLISTED_STEP,
        complaint_url=complaint(q, q.name.strip()),
    )


def complaint(q: Question, name: str) -> str:
    return w.complaint_url(name, q.matter or "", q.department or "")


def candidates(matches: dict[int, float], index: Index) -> list[Candidate]:
    ranked = sorted(matches.items(), key=lambda kv: (-kv[1], kv[0]))  # numbers: code order
    items = index.items
    return [
        Candidate(items.codes[n], items.names[n], items.status(n), round(score, 2))
        for n, score in ranked[:MAX_CANDIDATES]
        if score >= SHOWN
    ]
