"""The checker's words and links: plain sentences a villager understands, each with the concrete
next step, and the URLs of the pages that answer a choice. Pure."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote_plus

from registry.catalogue.models import Certificate, Status

# Replacement way -> what the asker does now (the first that applies, in this order).
NEXT_STEPS = (
    ("直接取消", "不用再开这个证明，窗口不能再要。"),
    ("告知承诺制", "签一份告知承诺书即可，不用再开证明。"),
    ("申请人书面承诺", "写一份书面承诺（声明）即可，不用再开证明。"),
    ("部门间核查", "窗口应自己向有关部门核实，不能让您跑。"),
    ("数据共享", "窗口应通过部门间的信息共享自己查，不用您开证明。"),
    ("现有证照核验", "出示您已有的证件即可，不用再开证明。"),
    ("调整开具单位", "原来开这个证明的单位不再开；确需的，改由别的单位出具或查询。"),
)
UNLISTED_STEP = "不用去开：清单之外的证明一律不得索要。窗口坚持要的，可以投诉。"
OTHER_MATTER_STEP = "办这件事不用提供这个证明。窗口坚持要的，可以投诉。"
NEEDS_MATTER_STEP = "点一下您要办的事，就能看到能不能要。"


def detail(cert: Certificate) -> str:
    """The replacement's free text after its method names (现有证照核验：身份证、户口簿 -> the part
    after the colon)."""
    text = cert.replacement
    for sep in ("：", ":"):
        if sep in text:
            return text.split(sep, 1)[1].strip()
    return text.strip()


def next_step(cert: Certificate) -> str:
    if cert.status is Status.RETAINED:
        issuer = cert.issuer or "开具单位"
        return f"按要求提供即可：这个证明由{issuer}开具。"
    methods = cert.replacement_methods or [m for m, _ in NEXT_STEPS if m in cert.replacement]
    extra = detail(cert)
    said = f"具体办法：{extra}。" if extra and extra not in methods else ""
    for method, step in NEXT_STEPS:
        if method in methods:
            return step + said
    return "不用再开这个证明：窗口应按取消后的办法办理。" + said


def explain_retained(cert: Certificate, matter: str, lookalikes: list[str]) -> str:
    basis = f"（依据：{cert.legal_basis}）" if cert.legal_basis else ""
    text = f"可以要求：办理“{matter}”时，窗口可以要求您提供“{cert.name}”，它在保留清单上{basis}。"
    if lookalikes:
        names = "、".join(f"“{n}”" for n in lookalikes[:3])
        text += f"但{names}已经取消，不得要求。"
    return text


def explain_abolished(cert: Certificate) -> str:
    when = f"自{cert.effective_from}起" if cert.effective_from else ""
    doc = f"（{cert.decision_doc}）" if cert.decision_doc else ""
    instead = f"取消后的办法：{cert.replacement}。" if cert.replacement else ""
    return f"不得要求：“{cert.name}”{when}已经取消{doc}。{instead}"


def explain_other_matter(
    cert: Certificate, asked: str | None, namesakes: list[Certificate] | None = None
) -> str:
    doing = f"办理“{asked}”" if asked else "办其他事"
    kept = [cert, *(namesakes or [])]
    if len(kept) > 1:  # several retained namesakes: none is for this matter
        each = "；".join(f"“{c.name}”只能在办理{_matters(c)}时索要" for c in kept[:4])
        return f"不得要求：{each}。{doing}，这些证明都不得索要。"
    only = f"只能在办理{_matters(cert)}时索要"
    return f"不得要求：“{cert.name}”虽在保留清单上，但{only}，{doing}不得索要。"


def _matters(cert: Certificate) -> str:
    return "、".join(f"“{m}”" for m in cert.matters) or "清单列明的事项"


def all_abolished(name: str, count: int) -> str:
    return f"清单上名为“{name}”一类的证明共有 {count} 项，都已取消，办什么事都不得索要。"


def explain_needs_matter(name: str, certs: list[Certificate], asked: str | None) -> str:
    statuses = {c.status for c in certs}
    if statuses == {Status.RETAINED} and len(certs) == 1:
        c = certs[0]
        matters = "、".join(f"“{m}”" for m in c.matters) or "清单列明的事项"
        if asked:
            return (
                f"要看您办什么事：“{c.name}”只能在办理{matters}时索要。"
                f"无法确定“{asked}”是不是其中一项，请点选您要办的事。"
            )
        return (
            f"要看您办什么事：“{c.name}”只能在办理{matters}时索要，办其他事不得索要。"
            "请点选您要办的事。"
        )
    return f"要看您办什么事：叫“{name}”的证明有几种，有的保留、有的已经取消。请点选您要办的事。"


def explain_matter_as_name(name: str, found: bool) -> str:
    if found:
        return (
            f"“{name}”像是要办的事，不是证明名称。"
            "办这件事时，下面这些证明有的可以要求、有的不得要求："
        )
    return (
        f"“{name}”像是要办的事，不是证明名称。清单上没有为这件事保留的证明；"
        "办这件事时，窗口不得要求清单之外的证明。"
    )


def explain_unlisted(name: str, *, ambiguous: bool, sounds_like: bool = False) -> str:
    name = name.strip()[:50]
    if sounds_like:
        return (
            f"清单上没有“{name}”。它读起来像下面的证明，请点选准确名称再查；在确认之前，不得索要。"
        )
    if ambiguous:
        return (
            f"不得要求：清单上没有与“{name}”完全一致的证明，无法确定是哪一项，"
            "在确认之前不得索要。请从下面的候选中点选准确名称再查。"
        )
    return f"不得要求：“{name}”不在证明事项清单上，清单之外一律不得索要。"


def explain_out_of_scope(name: str, rule: str) -> str:
    return f"“{name}”是证件，不是证明。{rule}".strip()


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
