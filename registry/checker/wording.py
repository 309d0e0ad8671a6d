"""The checker's words and links: what it says, as reason codes and parameters (rendered into
plain sentences a villager understands by checker.reasons, at read time), each with the concrete
next step, and the URLs of the pages that answer a choice. Pure."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote_plus

from registry.catalogue.models import Certificate, Status
from registry.checker.reasons import Param, Reason

# Replacement way (as the list writes it) -> the code of what the asker does now (the first
# that applies, in this order).
NEXT_STEPS = (
    ("直接取消", "step.abolished_outright"),
    ("告知承诺制", "step.pledge"),
    ("申请人书面承诺", "step.written_pledge"),
    ("部门间核查", "step.verified_between"),
    ("数据共享", "step.data_sharing"),
    ("现有证照核验", "step.existing_licence"),
    ("调整开具单位", "step.issuer_moved"),
)
MAY = Reason("lead.may")
MAY_NOT = Reason("lead.may_not")
DEPENDS = Reason("lead.depends")
UNLISTED_STEP = [Reason("step.unlisted")]
OTHER_MATTER_STEP = [Reason("step.other_matter")]
NEEDS_MATTER_STEP = [Reason("step.choose")]


def detail(cert: Certificate) -> str:
    """The replacement's free text after its method names (现有证照核验：身份证、户口簿 -> the part
    after the colon)."""
    text = cert.replacement
    for sep in ("：", ":"):
        if sep in text:
            return text.split(sep, 1)[1].strip()
    return text.strip()


def next_step(cert: Certificate) -> list[Reason]:
    if cert.status is Status.RETAINED:
        if cert.issuer:
            return [Reason("step.provide", {"issuer": cert.issuer})]
        return [Reason("step.provide_any")]
    methods = cert.replacement_methods or [m for m, _ in NEXT_STEPS if m in cert.replacement]
    extra = detail(cert)
    said = [Reason("step.details", {"details": extra})] if extra and extra not in methods else []
    for method, code in NEXT_STEPS:
        if method in methods:
            return [Reason(code), *said]
    return [Reason("step.abolished"), *said]


def explain_retained(cert: Certificate, matter: str, lookalikes: list[str]) -> list[Reason]:
    said: dict[str, Param] = {"matter": matter, "name": cert.name}
    if cert.legal_basis:
        out = [MAY, Reason("retained.basis", {**said, "basis": cert.legal_basis})]
    else:
        out = [MAY, Reason("retained", said)]
    if lookalikes:
        out.append(Reason("retained.lookalikes", {"names": lookalikes[:3]}))
    return out


# (date known, decision known) -> the sentence saying so.
ABOLISHED = {
    (True, True): "abolished.since_doc",
    (True, False): "abolished.since",
    (False, True): "abolished.doc",
    (False, False): "abolished",
}


def explain_abolished(cert: Certificate) -> list[Reason]:
    said: dict[str, Param] = {"name": cert.name}
    if cert.effective_from:
        said["since"] = str(cert.effective_from)
    if cert.decision_doc:
        said["doc"] = cert.decision_doc
    code = ABOLISHED[("since" in said, "doc" in said)]
    out = [MAY_NOT, Reason(code, said)]
    if cert.replacement:
        out.append(Reason("abolished.instead", {"replacement": cert.replacement}))
    return out


def explain_other_matter(
    cert: Certificate, asked: str | None, namesakes: list[Certificate] | None = None
) -> list[Reason]:
    kept = [cert, *(namesakes or [])]
    said: dict[str, Param] = {"asked": asked} if asked else {}
    if len(kept) > 1:  # several retained namesakes: none is for this matter
        each: list[dict[str, Param]] = [{"name": c.name, "matters": c.matters} for c in kept[:4]]
        code = "other_matter.many_asked" if asked else "other_matter.many"
        return [MAY_NOT, Reason(code, said, each)]
    said |= {"name": cert.name, "matters": cert.matters}
    return [MAY_NOT, Reason("other_matter.asked" if asked else "other_matter", said)]


def all_abolished(name: str, count: int) -> Reason:
    return Reason("abolished.all", {"name": name, "count": count})


def explain_needs_matter(name: str, certs: list[Certificate], asked: str | None) -> list[Reason]:
    statuses = {c.status for c in certs}
    if statuses == {Status.RETAINED} and len(certs) == 1:
        c = certs[0]
        said: dict[str, Param] = {"name": c.name, "matters": c.matters}
        if asked:
            return [DEPENDS, Reason("needs_matter.one_asked", {**said, "asked": asked})]
        return [DEPENDS, Reason("needs_matter.one", said)]
    return [DEPENDS, Reason("needs_matter.several", {"name": name})]


def explain_matter_as_name(name: str, found: bool) -> list[Reason]:
    return [Reason("matter_as_name" if found else "matter_as_name.none", {"name": name})]


def explain_unlisted(name: str, *, ambiguous: bool, sounds_like: bool = False) -> list[Reason]:
    said: dict[str, Param] = {"name": name.strip()[:50]}
    if sounds_like:
        return [Reason("unlisted.sounds_like", said)]
    if ambiguous:
        return [MAY_NOT, Reason("unlisted.ambiguous", said)]
    return [MAY_NOT, Reason("unlisted", said)]


def explain_out_of_scope(name: str, rule: str) -> list[Reason]:
    rule = rule.rstrip()
    return [Reason("out_of_scope", {"name": name}), *licence_rule(rule)]


def licence_rule(rule: str) -> list[Reason]:
    """The document's own rule (from the vocabulary), when it has one."""
    return [Reason("licence.rule", {"rule": rule})] if rule.strip() else []


def check_url(name: str, matter: str = "", department: str = "", on: str = "") -> str:
    return _url(
        "/check", (("name", name), ("matter", matter), ("department", department), ("on", on))
    )


def matter_url(matter: str, on: str = "") -> str:
    return _url("/matter", (("name", matter), ("on", on)))


def guide_url(text: str, on: str = "") -> str:
    return _url("/matters", (("q", text), ("on", on)))


def complaint_url(name: str, matter: str = "", department: str = "") -> str:
    return _url(
        "/complaints/new",
        (("certificate_name", name), ("matter", matter), ("department", department)),
    )


def _url(path: str, params: tuple[tuple[str, str], ...]) -> str:
    """urlencode's output, built from values quoted once each: names and matters come again
    and again, only the department or date of a question may be new (urlencode: ~30 us)."""
    query = "&".join(f"{k}={_quoted(v)}" for k, v in params if v)
    return f"{path}?{query}" if query else path


@lru_cache(maxsize=16384)
def _quoted(value: str) -> str:
    return quote_plus(value)
