"""What the checker answers, as data: verdict kinds, a question, a verdict with its choices and
candidates (design §3, §4). Structs only, shared by the API, pages, complaints and checker."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec

from registry.catalogue.models import Certificate, Status
from registry.checker.reasons import Reason, render, shown


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
    # What the checker says, as data (checker.reasons): rendered at read time in the reader's
    # language. explanation and next_step are those words in Chinese, filled for the JSON API
    # by spoken() (hand-built verdicts may carry only the words).
    reasons: list[Reason] = []
    next_step_reasons: list[Reason] = []
    explanation: str = ""
    next_step: str = ""  # plain words: what the asker does now
    licence: LicenceInfo | None = None  # out_of_scope: the document asked about
    other_url: str | None = None  # needs_matter: "办其他事" (matter=OTHER_MATTER)
    guide_url: str | None = None  # the matter guide, when a matter is in play
    complaint_url: str | None

    def spoken(self, translations: Any = None) -> Verdict:
        """This verdict with explanation and next_step rendered from its reasons."""
        if not (self.reasons or self.next_step_reasons):
            return self
        return msgspec.structs.replace(
            self,
            explanation=render(self.reasons, translations),
            next_step=render(self.next_step_reasons, translations),
        )

    def words(self, translations: Any = None) -> tuple[str, str]:
        """(next step, explanation) as the verdict page shows them: the explanation without
        the opening its headline says nor a closing part equal to the next step."""
        t = translations or None  # a template without translations passes Undefined
        if self.reasons or self.next_step_reasons:
            step = self.next_step_reasons
            return render(step, t), render(shown(self.reasons, step), t).strip()
        return self.next_step, _shown_text(self.explanation, self.next_step)


def _shown_text(text: str, step: str) -> str:
    """words() for a verdict carrying only Chinese words."""
    for lead in ("可以要求：", "不得要求：", "要看您办什么事："):
        if text.startswith(lead):
            text = text[len(lead) :]
            break
    if step and text != step and text.endswith(step):
        return text[: -len(step)].strip()
    return "" if text == step else text.strip()


class Question(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    matter: str | None = None
    department: str | None = None
    on: str | None = None  # the date asked about, as given: carried into the links of choices


class Names(msgspec.Struct):
    """The items a name may mean: score by item number, and how it was found."""

    scores: dict[int, float]
    how: str  # pinned | exact | core | thesaurus | latin | fuzzy | none

    @property
    def best(self) -> float:
        return max(self.scores.values(), default=0.0)


class Pair(msgspec.Struct):
    n: int
    matter: str  # normalised official matter
    score: float  # how surely the asker's matter is this one (0 without a matter)
    name_score: float
