"""Complaints: states, classifications, what is filed and what the public sees."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Any

import msgspec

from registry.infra.i18n import N_, Translations

# Working days the office has to accept a complaint and to reply to it (design §2).
ACCEPT_DAYS = 1
REPLY_DAYS = 15


class ComplaintStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ASSIGNED = "assigned"
    REPLIED = "replied"
    CLOSED = "closed"


COMPLAINT_STATUS_LABELS = {
    ComplaintStatus.SUBMITTED: N_("已提交，待受理"),
    ComplaintStatus.ACCEPTED: N_("已受理"),
    ComplaintStatus.REJECTED: N_("不予受理"),
    ComplaintStatus.ASSIGNED: N_("已转办，部门办理中"),
    ComplaintStatus.REPLIED: N_("部门已反馈"),
    ComplaintStatus.CLOSED: N_("已办结"),
}
# Which deadline runs in which state (the queue's 超期 filter and badges read these, not a list
# of their own): acceptance until the office accepts, then the reply.
ACCEPT_RUNS = (ComplaintStatus.SUBMITTED,)
REPLY_RUNS = (ComplaintStatus.ACCEPTED, ComplaintStatus.ASSIGNED)


class Classification(StrEnum):
    ABOLISHED = "abolished"
    UNLISTED = "unlisted"
    RETAINED_OUT_OF_SCOPE = "retained_out_of_scope"
    RETAINED_IN_SCOPE = "retained_in_scope"
    OUT_OF_SCOPE = "out_of_scope"  # a licence or identity document, not a certificate
    UNDETERMINED = "undetermined"  # depends on the matter: the office sorts it out


CLASSIFICATION_LABELS = {
    Classification.ABOLISHED: N_("索要已取消的证明"),
    Classification.UNLISTED: N_("索要清单之外的证明"),
    Classification.RETAINED_OUT_OF_SCOPE: N_("保留证明，但用于清单未列明的事项"),
    Classification.RETAINED_IN_SCOPE: N_("保留证明，在列明事项中索要"),
    Classification.OUT_OF_SCOPE: N_("证件（不是证明），由办公室核实"),
    Classification.UNDETERMINED: N_("要看办理事项，由办公室核实"),
}

# A field's length limit, the one message with a number in it (pages translate it with said()).
TOO_LONG = N_("不能超过 {limit} 个字")
_TOO_LONG = re.compile("^" + re.escape(TOO_LONG).replace(re.escape("{limit}"), "(\\d+)") + "$")


def too_long(limit: int) -> str:
    return TOO_LONG.format(limit=limit)


def said(message: str, tr: Translations) -> str:
    """A field error's message (as the JSON API returns it, in 简体) in the reader's language."""
    if found := _TOO_LONG.match(message):
        return tr.gettext(TOO_LONG).format(limit=found[1])
    return tr.gettext(message)


class Disclosure(StrEnum):
    NAMED = "named"
    CONFIDENTIAL = "confidential"
    ANONYMOUS = "anonymous"


class ContactIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str | None = None
    phone: str | None = None
    email: str | None = None


class ComplaintIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A complaint as sent: every field optional here so each gets its own clear error."""

    department: str | None = None
    department_other: str | None = None
    certificate_name: str | None = None
    matter: str | None = None
    demanded_on: str | None = None
    place: str | None = None
    description: str | None = None
    disclosure: str | None = None
    contact: ContactIn | None = None


class NewComplaint(msgspec.Struct, kw_only=True):
    """A complaint that passed validation."""

    department_code: str | None
    department_other: str
    certificate_name: str
    matter: str
    demanded_on: dt.date
    place: str
    description: str
    disclosure: Disclosure
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""


class Receipt(msgspec.Struct, kw_only=True):
    reference: str
    access_code: str
    status: ComplaintStatus
    classification: Classification
    deadline: dt.date


class DeadlineReason(StrEnum):
    """What set the current reply deadline (with reply_from and reply_days, its parameters)."""

    FILED = "filed"
    ACCEPTED = "accepted"
    EXTENDED = "extended"
    REOPENED = "reopened"


class SatisfactionBy(StrEnum):
    OFFICE = "office"
    COMPLAINANT = "complainant"


class StoredEvent(msgspec.Struct, kw_only=True):
    """A timeline row as stored: kind + params (None for a row from before events were data,
    whose note is its finished sentence), note the actor's own words."""

    at: dt.datetime
    kind: str
    public: bool = True
    actor: str = ""
    by: str = "staff"  # "complainant" or "staff" (public); the actor's name (staff timeline)
    status_from: str | None = None
    status_to: str | None = None
    note: str = ""
    params: dict[str, Any] | None = None


class TimelineEvent(msgspec.Struct, kw_only=True):
    """A public timeline entry as the reader sees it (events.py renders it)."""

    at: dt.datetime
    kind: str
    status_to: str | None
    note: str  # the sentence, in the reader's language
    # "complainant" for what the complainant did (filing, their own rating), else "staff".
    by: str = "staff"
    title: str = ""


class StaffEvent(msgspec.Struct, kw_only=True):
    """A staff timeline entry: who acted, public or internal, and the rendered sentence."""

    at: dt.datetime
    kind: str
    public: bool
    actor: str
    title: str
    note: str


class ComplaintPublic(msgspec.Struct, kw_only=True):
    """What the complainant sees: never contact data."""

    reference: str
    status: ComplaintStatus
    classification: Classification
    certificate_name: str
    certificate_code: str | None
    department: str
    matter: str
    demanded_on: dt.date
    place: str
    description: str
    submitted_at: dt.datetime
    accept_due: dt.date
    reply_due: dt.date
    # The deadline rests on computed holidays: that year's official notice is not loaded yet.
    deadline_provisional: bool = False
    # Why reply_due is what it is: counted deadline_days working days after deadline_from.
    deadline_reason: DeadlineReason = DeadlineReason.FILED
    deadline_days: int = REPLY_DAYS
    deadline_from: dt.date | None = None
    extension_reason: str = ""  # the current deadline's extension; cleared by a reopen
    reopened: bool = False
    closed_at: dt.datetime | None = None
    result: str = ""  # written for the complainant at closing
    # The level recorded for the current closing (None before it, or once it reopens).
    satisfaction: str | None = None
    satisfaction_by: SatisfactionBy | None = None
    may_rate: bool = False  # closed and not yet rated: the tracking page offers the form
    may_reopen: bool = False  # an unsatisfied rating now would send it back (once only)
    timeline: list[TimelineEvent] = []


# ---- staff -----------------------------------------------------------------------------
