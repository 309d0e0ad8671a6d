"""Timeline events and e-mails stored as data (a kind and its parameters, plus the person's own
words), rendered into sentences when read or sent, in the reader's language.

Every sentence goes through a gettext translations object (registry/infra/i18n.py): the msgids
are the Chinese sentences with {name} placeholders, marked for Babel's extractor. What people
wrote themselves (a reason, a result, a comment) is never translated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from registry.complaints.models import (
    COMPLAINT_STATUS_LABELS,
    DeadlineReason,
    StaffEvent,
    StoredEvent,
    TimelineEvent,
)
from registry.infra.i18n import CHINESE, N_, Translations, translations_for
from registry.workflow.marks import PLAIN, Marks, Sentence

# A public event's heading, by kind; the complainant's own follow-up reads as their rating.
TITLES = {
    "submitted": N_("投诉已提交"),
    "accept": N_("已受理"),
    "reject": N_("不予受理"),
    "assign": N_("已转办"),
    "extend": N_("已延期"),
    "reply": N_("部门反馈"),
    "close": N_("已办结"),
    "follow_up": N_("已回访"),
    "rating": N_("您的评价"),
    "deadline": N_("期限调整"),
    "note": N_("内部备注"),
    "result": N_("办理结果"),  # the heading of a closing's e-mail
}
FINDINGS = {"substantiated": N_("情况属实"), "unsubstantiated": N_("情况不属实")}
SATISFACTION = {
    "very_satisfied": N_("非常满意"),
    "satisfied": N_("满意"),
    "neutral": N_("基本满意"),
    "unsatisfied": N_("不满意"),
    "very_unsatisfied": N_("非常不满意"),
}
STATUS_LABELS = {str(k): v for k, v in COMPLAINT_STATUS_LABELS.items()}
_BASIS_START = {
    DeadlineReason.FILED: N_("提交后"),
    DeadlineReason.ACCEPTED: N_("受理后"),
    DeadlineReason.REOPENED: N_("重新交办后"),
}
# Why running deadlines were counted again (deadlines.recount).
CAUSES = {
    "calendar_year": N_("载入{year}年节假日安排（{notice}）"),
    "calendar_day": N_("工作日历调整（{day}）"),
}


def deadline_basis(
    reason: str, days: int, *, reopened: bool = False, tr: Translations = CHINESE
) -> str:
    """What a reply deadline counts from, in words (e-mails, timeline, and the pages)."""
    _ = tr.gettext
    fallback = _BASIS_START[DeadlineReason.REOPENED if reopened else DeadlineReason.ACCEPTED]
    start = _(_BASIS_START.get(DeadlineReason(reason), fallback))
    text = _("{start} {days} 个工作日").format(start=start, days=days)
    if reason == DeadlineReason.EXTENDED:
        return text + _("，已延期")
    if reason == DeadlineReason.FILED:
        return text + _("，受理后重新计算")
    return text


def _basis(tr: Translations, p: Mapping[str, Any]) -> str:
    return deadline_basis(p["reason"], p["days"], reopened=p.get("reopened", False), tr=tr)


def tracking_hint(public_url: str, reference: str, tr: Translations = CHINESE) -> str:
    """Where an e-mail's reader tracks the complaint; never the access code."""
    if public_url:
        link = f"{public_url}/complaints/track?reference={quote(reference)}"
        return tr.gettext("查看办理进度：{link}\n（打开后输入提交时显示的查询码。）").format(
            link=link
        )
    return tr.gettext(
        "查看办理进度：请打开本县证明事项清单网站的“投诉举报—查询进度”页面，"
        "输入查询编号 {reference} 和提交时显示的查询码。"
    ).format(reference=reference)


# ---- timeline sentences, by kind: (translations, parameters, the person's own words, marks) ----


def _own_words(tr: Translations, p: Mapping[str, Any], text: str, m: Marks) -> str:
    return m.words(text) if text else text


def _submitted(tr: Translations, p: Mapping[str, Any], text: str, m: Marks) -> str:
    return m.say(tr.gettext("投诉已收到，等待受理。"))


def _accept(tr: Translations, p: Mapping[str, Any], text: str, m: Marks) -> str:
    return m.say(tr.gettext("答复期限 {due}（{basis}）。"), due=p["due"], basis=_basis(tr, p))


def _assign(tr: Translations, p: Mapping[str, Any], text: str, m: Marks) -> str:
    return m.say(tr.gettext("已转交{department}办理。"), department=m.data(p["department"]))


def _extend(tr: Translations, p: Mapping[str, Any], text: str, m: Marks) -> str:
    return m.say(
        tr.gettext("答复期限延长至 {due}（{basis}）。延期理由：{reason}"),
        due=p["due"],
        basis=_basis(tr, p),
        reason=m.words(text),
    )


def _reply(tr: Translations, p: Mapping[str, Any], text: str, m: Marks) -> str:
    finding = tr.gettext(FINDINGS[p["finding"]])
    return m.say(
        tr.gettext("{finding}。{action_taken}"), finding=finding, action_taken=m.words(text)
    )


def _follow_up(tr: Translations, p: Mapping[str, Any], text: str, m: Marks) -> str:
    _ = tr.gettext
    out = m.say(_("{level}。"), level=_(SATISFACTION[p["level"]]))
    if text:
        out += m.say(_("意见：{comment}。"), comment=m.words(text.rstrip("。")))
    if "due" in p:  # unsatisfied: sent back to the department once
        out += m.say(_("重新交办，答复期限 {due}（{basis}）。"), due=p["due"], basis=_basis(tr, p))
    return out


def _deadline(tr: Translations, p: Mapping[str, Any], text: str, m: Marks) -> str:
    cause = p.get("cause")
    if cause:
        values = {k: m.data(str(v)) for k, v in cause["params"].items()}
        why = m.say(tr.gettext(CAUSES[cause["kind"]]), **values)
    else:
        why = m.words(text)
    basis = _basis(tr, p)
    if "accept_due" in p:
        return m.say(
            tr.gettext("因{why}，受理期限调整为 {accept_due}，答复期限（{basis}）调整为 {due}。"),
            why=why,
            accept_due=p["accept_due"],
            basis=basis,
            due=p["due"],
        )
    return m.say(
        tr.gettext("因{why}，答复期限（{basis}）由 {was} 调整为 {due}。"),
        why=why,
        basis=basis,
        was=p["was"],
        due=p["due"],
    )


SENTENCES: dict[str, Sentence] = {
    "submitted": _submitted,
    "accept": _accept,
    "reject": _own_words,
    "assign": _assign,
    "extend": _extend,
    "reply": _reply,
    "close": _own_words,
    "follow_up": _follow_up,
    "deadline": _deadline,
    "note": _own_words,
}


def title(kind: str, by_complainant: bool, tr: Translations = CHINESE) -> str:
    key = "rating" if kind == "follow_up" and by_complainant else kind
    return tr.gettext(TITLES[key]) if key in TITLES else kind


def sentence(
    kind: str,
    params: Mapping[str, Any] | None,
    text: str,
    tr: Translations = CHINESE,
    marks: Marks = PLAIN,
) -> str:
    """A stored event's sentence; a row from before events were data (params None) keeps the
    sentence it stored (shown as it was written)."""
    if params is None:
        return marks.words(text) if text else text
    return SENTENCES[kind](tr, params, text, marks)


def public_entry(e: StoredEvent, tr: Translations = CHINESE, marks: Marks = PLAIN) -> TimelineEvent:
    """A public event for the tracking page and the API."""
    mine = e.by == "complainant"
    return TimelineEvent(
        at=e.at,
        kind=e.kind,
        status_to=e.status_to,
        note=sentence(e.kind, e.params, e.note, tr, marks),
        by=e.by,
        title=title(e.kind, mine, tr),
    )


def staff_entry(e: StoredEvent, tr: Translations = CHINESE, marks: Marks = PLAIN) -> StaffEvent:
    """An event on the staff timeline, internal ones too."""
    return StaffEvent(
        at=e.at,
        kind=e.kind,
        public=e.public,
        actor=e.actor,
        title=title(e.kind, e.actor == "complainant", tr),
        note=sentence(e.kind, e.params, e.note, tr, marks),
    )


# ---- e-mails: (subject, body) from the outbox row's kind and parameters ------------------------


def _filed_mail(tr: Translations, p: Mapping[str, Any]) -> tuple[str, str]:
    ref = p["reference"]
    subject = tr.gettext("投诉已收到：{reference}").format(reference=ref)
    body = tr.gettext(
        "您的投诉已收到，查询编号 {reference}。"
        "受理期限 {accept_due}，答复期限 {reply_due}（{basis}）。"
    ).format(
        reference=ref, accept_due=p["accept_due"], reply_due=p["reply_due"], basis=_basis(tr, p)
    )
    return subject, f"{body}\n\n{tracking_hint(p['public_url'], ref, tr)}"


def _step_mail(tr: Translations, p: Mapping[str, Any]) -> tuple[str, str]:
    ref, event = p["reference"], p["event"]
    label = tr.gettext(STATUS_LABELS[p["status"]])
    subject = tr.gettext("投诉 {reference}：{label}").format(reference=ref, label=label)
    said = sentence(event["kind"], event["params"], event["text"], tr)
    heading = tr.gettext(TITLES[p["title"]])
    body = tr.gettext("您的投诉（查询编号 {reference}）办理状态：{label}。").format(
        reference=ref, label=label
    )
    step = tr.gettext("{heading}：{sentence}").format(heading=heading, sentence=said)
    return subject, f"{body}\n\n{step}\n\n{tracking_hint(p['public_url'], ref, tr)}"


def _deadline_mail(tr: Translations, p: Mapping[str, Any]) -> tuple[str, str]:
    ref, event = p["reference"], p["event"]
    subject = tr.gettext("投诉 {reference}：办理期限调整").format(reference=ref)
    said = sentence("deadline", event["params"], event["text"], tr)
    return subject, f"{said}\n\n{tracking_hint(p['public_url'], ref, tr)}"


MAILS: dict[str, Callable[[Translations, Mapping[str, Any]], tuple[str, str]]] = {
    "complaint.filed": _filed_mail,
    "complaint.step": _step_mail,
    "complaint.deadline": _deadline_mail,
}


def render_mail(
    kind: str, params: Mapping[str, Any], tr: Translations = CHINESE
) -> tuple[str, str]:
    """An outbox message's (subject, body) in the translations' language."""
    return MAILS[kind](tr, params)


def render_outbox(kind: str, params: Mapping[str, Any], locale: str | None) -> tuple[str, str]:
    """The outbox sender's renderer (infra.outbox.Render): in the recipient's language."""
    return render_mail(kind, params, translations_for(locale))
