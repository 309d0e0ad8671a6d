"""部门核查 (协查) requests: states, answers, what a page or the API shows of one."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

import msgspec

from registry.infra.i18n import N_


class Status(StrEnum):
    PENDING = "pending"
    RECEIVED = "received"
    ANSWERED = "answered"
    OVERDUE = "overdue"


STATUS_LABELS = {
    Status.PENDING: N_("待接收"),
    Status.RECEIVED: N_("已接收"),
    Status.ANSWERED: N_("已答复"),
    Status.OVERDUE: N_("超期"),
}
OPEN = (Status.PENDING, Status.RECEIVED)  # unanswered, its deadline still running

# The consulted department's answer.
RESULTS = {
    "confirmed": N_("属实"),
    "not_confirmed": N_("不属实"),
    "no_record": N_("无记录"),
    "not_ours": N_("非本单位职责"),
}

# Field limits (the migration's CHECKs say the same).
LIMITS = {"matter": 200, "case_ref": 100, "question": 1000, "applicant": 100, "note": 1000}
PAGE_SIZE = 50


class VerificationRequest(msgspec.Struct, kw_only=True, frozen=True):
    reference: str
    code: str
    item_name: str
    matter: str
    case_ref: str
    question: str
    applicant: str  # in full from get() (the request's own page); masked in every listing()
    applicant_masked: str
    from_department: str
    to_department: str
    status: str
    result: str | None
    note: str
    due_at: dt.datetime
    created_at: dt.datetime
    received_at: dt.datetime | None
    answered_at: dt.datetime | None
    urged_count: int
    overdue: bool  # past due_at and unanswered, whatever the sweep has done yet
    version: int
    from_name: str = ""
    to_name: str = ""
    created_by: str = ""
    last_urged_at: dt.datetime | None = None

    @property
    def answered_late(self) -> bool:
        return self.answered_at is not None and self.answered_at > self.due_at


_ID_LIKE = re.compile(r"^[0-9Xx]{7,}$")


def mask(applicant: str) -> str:
    """The applicant as every list shows them: 张三丰 -> 张**, an identity number
    410102199001011234 -> 4101**********1234, a phone number 13812345678 -> 138****5678."""
    return " ".join(_mask_word(w) for w in applicant.split())


def _mask_word(word: str) -> str:
    if _ID_LIKE.match(word):
        keep = 4 if len(word) >= 15 else 3
        return word[:keep] + "*" * (len(word) - keep - 4) + word[-4:]
    if len(word) == 1:
        return "*"
    return word[0] + "*" * (len(word) - 1)
