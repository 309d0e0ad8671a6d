"""A request's timeline and its notices stored as data (a kind and its parameters, plus the
actor's own words), rendered when read or sent, in the reader's language (like
registry/complaints/events.py; the web layer supplies HTML marks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry.infra.i18n import CHINESE, N_, Translations, translations_for
from registry.verification.models import RESULTS, STATUS_LABELS, Status
from registry.workflow.marks import PLAIN, Marks, Sentence

TITLES = {
    "open": N_("发起协查"),
    "receive": N_("已接收"),
    "answer": N_("已答复"),
    "expire": N_("已超期"),
    "urge": N_("督办"),
}


def _open(tr: Translations, p: Mapping[str, Any], text: str, m: Marks) -> str:
    return m.say(
        tr.gettext("{from_name}请{to_name}核查，答复期限 {due}。"),
        from_name=m.data(p["from_name"]),
        to_name=m.data(p["to_name"]),
        due=p["due"],
    )


def _receive(tr: Translations, p: Mapping[str, Any], text: str, m: Marks) -> str:
    return m.say(tr.gettext("{to_name}已接收。"), to_name=m.data(p["to_name"]))


def _answer(tr: Translations, p: Mapping[str, Any], text: str, m: Marks) -> str:
    out = m.say(tr.gettext("核查结果：{result}。"), result=tr.gettext(RESULTS[p["result"]]))
    if p.get("late"):
        out += m.say(tr.gettext("（超过答复期限）"))
    if text:
        out += m.say(tr.gettext("说明：{note}"), note=m.words(text))
    return out


def _expire(tr: Translations, p: Mapping[str, Any], text: str, m: Marks) -> str:
    return m.say(tr.gettext("答复期限 {due} 已过，尚未答复。"), due=p["due"])


def _urge(tr: Translations, p: Mapping[str, Any], text: str, m: Marks) -> str:
    out = m.say(tr.gettext("监督部门督办（第 {count} 次），请尽快答复。"), count=str(p["count"]))
    if text:
        out += m.say(tr.gettext("说明：{note}"), note=m.words(text))
    return out


SENTENCES: dict[str, Sentence] = {
    "open": _open,
    "receive": _receive,
    "answer": _answer,
    "expire": _expire,
    "urge": _urge,
}


def title(kind: str, tr: Translations = CHINESE) -> str:
    return tr.gettext(TITLES[kind]) if kind in TITLES else kind


def sentence(
    kind: str,
    params: Mapping[str, Any],
    text: str,
    tr: Translations = CHINESE,
    marks: Marks = PLAIN,
) -> str:
    return SENTENCES[kind](tr, params, text, marks)


# ---- notices: (subject, body) from the outbox row's kind and parameters ---------------------


def render_mail(kind: str, p: Mapping[str, Any], tr: Translations = CHINESE) -> tuple[str, str]:
    """kind is verification.<event kind>; p carries the request's reference, item, matter,
    status and the event (kind, params, text)."""
    event = p["event"]
    heading = title(event["kind"], tr)
    subject = tr.gettext("协查 {reference}：{heading}").format(
        reference=p["reference"], heading=heading
    )
    label = tr.gettext(STATUS_LABELS[Status(p["status"])])
    body = tr.gettext("协查 {reference}（{item}，办理事项：{matter}）当前状态：{label}。").format(
        reference=p["reference"], item=p["item_name"], matter=p["matter"], label=label
    )
    said = sentence(event["kind"], event["params"], event["text"], tr)
    where = tr.gettext("请登录工作台查看：{path}").format(path=p["path"])
    return subject, f"{body}\n\n{heading}：{said}\n\n{where}"


def render_outbox(kind: str, params: Mapping[str, Any], locale: str | None) -> tuple[str, str]:
    """The outbox sender's renderer for kinds verification.*, in the recipient's language."""
    return render_mail(kind, params, translations_for(locale))
