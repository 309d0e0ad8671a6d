"""Filing and tracking complaints: validation, classification, idempotent one-transaction filing."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from email.errors import HeaderParseError
from email.headerregistry import Address
from typing import Any

import asyncpg
import msgspec

from registry.checker.decide import Verdict, VerdictKind
from registry.complaints import events
from registry.complaints.models import (
    ACCEPT_DAYS,
    REPLY_DAYS,
    Classification,
    ComplaintIn,
    ComplaintPublic,
    ComplaintStatus,
    DeadlineReason,
    Disclosure,
    NewComplaint,
    Receipt,
    too_long,
)
from registry.complaints.queries import complaints as q
from registry.infra import clock
from registry.infra.errorshape import FieldError
from registry.infra.i18n import CHINESE, N_, Translations
from registry.infra.ratelimit import retry_after
from registry.infra.textclean import MESSAGE as UNCLEAN
from registry.infra.textclean import is_clean
from registry.workflow.workdays import Overrides, add_workdays

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones
# References are random within the day: 32^5 ≈ 33.5 million. A draw that is already taken
# (likely once a day holds some thousands) is simply drawn again.
REFERENCE_ATTEMPTS = 8
LIMITS = {
    "department_other": 100,
    "certificate_name": 100,
    "matter": 100,
    "place": 200,
    "description": 2000,
    "name": 50,
    "phone": 30,
    "email": 254,
}
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,28}[0-9]$")
# One bare addr-spec: a dot-atom local part (no quoting, no display name, no list) and a
# domain of letter-digit-hyphen labels (Chinese labels too). It goes into a To: header.
ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
EMAIL_LOCAL_RE = re.compile("^" + ATEXT + r"(\." + ATEXT + ")*$")
# Long enough to be unguessable: a replay hands back the access code. A UUID is 36.
KEY_RE = re.compile(r"^[\x21-\x7e]{16,200}$")
OTHER = "other"
CONTACT_NEEDED = N_(
    "选“保密”或“实名”时，请留下电话或电子邮箱（至少一项），以便回复您；不想留联系方式请选“匿名”"
)
NO_SUCH_DEPARTMENT = N_("没有这个单位，请从列表中选择，或选“其他”并填写")
ANONYMOUS_WITH_CONTACT = N_(
    "选“匿名”时不保存任何联系方式：请清空姓名、电话和电子邮箱，或改选“保密”"
)


# The pages (a Jinja global) and the tests take it from here, where it was first written.
deadline_basis = events.deadline_basis


class IdempotencyConflict(Exception):
    """The key was used before with a different complaint."""


class RateLimited(Exception):
    """Too many filings from this client; retry_after seconds until the window ends."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def _text(value: str | None, field: str, errors: list[FieldError], *, required: str = "") -> str:
    text = (value or "").strip()
    if not text and required:
        errors.append(FieldError(field, required))
    elif not is_clean(text):  # the web boundary refuses these first; other callers too
        errors.append(FieldError(field, UNCLEAN))
    elif len(text) > LIMITS.get(field.removeprefix("contact."), 10_000):
        errors.append(FieldError(field, too_long(LIMITS[field.removeprefix("contact.")])))
    return text


def validate(
    raw: ComplaintIn, departments: set[str], today: dt.date
) -> NewComplaint | list[FieldError]:
    """Every field checked at once, so the person sees every problem in one go."""
    errors: list[FieldError] = []
    dep = (raw.department or "").strip()
    other = _text(raw.department_other, "department_other", errors)
    if not dep:
        errors.append(FieldError("department", N_("请选择向您索要证明的单位")))
    elif dep == OTHER:
        if not other:
            errors.append(FieldError("department_other", N_("请填写索要证明的单位名称")))
    elif dep not in departments:
        errors.append(FieldError("department", NO_SUCH_DEPARTMENT))
    name = _text(
        raw.certificate_name, "certificate_name", errors, required=N_("请填写被索要的证明名称")
    )
    matter = _text(raw.matter, "matter", errors)
    place = _text(raw.place, "place", errors)
    description = _text(raw.description, "description", errors)
    demanded_on = _demand_date(raw.demanded_on, today, errors)
    disclosure = _disclosure(raw, errors)
    contact = raw.contact
    cname = _text(contact.name if contact else None, "contact.name", errors)
    phone = _text(contact.phone if contact else None, "contact.phone", errors)
    email = _text(contact.email if contact else None, "contact.email", errors)
    if phone and not PHONE_RE.match(phone):
        errors.append(FieldError("contact.phone", N_("电话号码格式不对")))
    if email and not email_ok(email):
        errors.append(FieldError("contact.email", N_("电子邮箱格式不对")))
    # The same rules, in the same words, as the form states them before submitting.
    if disclosure is Disclosure.ANONYMOUS and (cname or phone or email):
        errors.append(FieldError("contact", ANONYMOUS_WITH_CONTACT))
    elif disclosure is not None and disclosure is not Disclosure.ANONYMOUS and not (phone or email):
        errors.append(FieldError("contact.phone", CONTACT_NEEDED))
    if errors or demanded_on is None or disclosure is None:
        return errors
    return NewComplaint(
        department_code=None if dep == OTHER else dep,
        department_other=other if dep == OTHER else "",
        certificate_name=name,
        matter=matter,
        demanded_on=demanded_on,
        place=place,
        description=description,
        disclosure=disclosure,
        contact_name=cname,
        contact_phone=phone,
        contact_email=email,
    )


def email_ok(text: str) -> bool:
    """A single plain address, as the stdlib's parser reads it back unchanged."""
    local, at, domain = text.rpartition("@")
    if not at or len(local) > 64 or not EMAIL_LOCAL_RE.match(local):
        return False
    labels = domain.split(".")
    if len(labels) < 2 or not all(_label_ok(label) for label in labels):
        return False
    try:
        return Address(addr_spec=text).addr_spec == text
    except (ValueError, IndexError, HeaderParseError):
        return False


def _label_ok(label: str) -> bool:
    return (
        0 < len(label) <= 63
        and not label.startswith("-")
        and not label.endswith("-")
        and all(c == "-" or c.isalnum() for c in label)
    )


def _demand_date(text: str | None, today: dt.date, errors: list[FieldError]) -> dt.date | None:
    if not text or not text.strip():
        errors.append(FieldError("demanded_on", N_("请填写被索要证明的日期")))
        return None
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        errors.append(FieldError("demanded_on", N_("日期格式应为 YYYY-MM-DD")))
        return None
    if day > today:
        errors.append(FieldError("demanded_on", N_("日期不能晚于今天")))
    elif day < dt.date(2000, 1, 1):
        errors.append(FieldError("demanded_on", N_("日期太早了，请检查")))
    return day


def _disclosure(raw: ComplaintIn, errors: list[FieldError]) -> Disclosure | None:
    try:
        return Disclosure((raw.disclosure or "").strip())
    except ValueError:
        errors.append(FieldError("disclosure", N_("请选择实名、保密或匿名")))
        return None


def classify(verdict: Verdict) -> Classification:
    return {
        VerdictKind.ABOLISHED: Classification.ABOLISHED,
        VerdictKind.UNLISTED: Classification.UNLISTED,
        VerdictKind.RETAINED_OTHER_MATTER: Classification.RETAINED_OUT_OF_SCOPE,
        VerdictKind.RETAINED: Classification.RETAINED_IN_SCOPE,
        VerdictKind.OUT_OF_SCOPE: Classification.OUT_OF_SCOPE,
        VerdictKind.NEEDS_MATTER: Classification.UNDETERMINED,
    }[verdict.verdict]


def request_hash(c: NewComplaint) -> str:
    return hashlib.sha256(msgspec.json.encode(c)).hexdigest()


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def access_code(secret: str, reference: str, key: str | None) -> str:
    """Random without a key; with one, derived so a retry gets the same code back."""
    if key is None:
        raw = secrets.token_bytes(10)
    else:
        raw = hmac.new(secret.encode(), f"{reference}|{key}".encode(), hashlib.sha256).digest()
    chars = "".join(ALPHABET[b % 32] for b in raw[:10])
    return f"{chars[:5]}-{chars[5:]}"


def new_reference(today: dt.date) -> str:
    # 32 letters: each random byte mod 32 is uniform.
    return f"TS{today:%Y%m%d}-" + "".join(ALPHABET[b % 32] for b in secrets.token_bytes(5))


def deadlines(today: dt.date, overrides: Overrides | None) -> tuple[dt.date, dt.date]:
    """(accept by, reply by): ACCEPT_DAYS and REPLY_DAYS working days after today."""
    return add_workdays(today, ACCEPT_DAYS, overrides), add_workdays(today, REPLY_DAYS, overrides)


async def file_complaint(
    conn: asyncpg.Connection,
    c: NewComplaint,
    verdict: Verdict,
    *,
    key: str | None,
    secret: str,
    rate: tuple[str, int, int],
    due: tuple[dt.date, dt.date],
    now: dt.datetime | None = None,
    public_url: str = "",
) -> tuple[Receipt, bool]:
    """One statement finds a replay, counts the client's hit and writes complaint, contact,
    event, audit and acknowledgement (see queries.complaints.file); rate = (bucket, limit,
    window seconds); due = (accept by, reply by), from deadlines(). Returns (receipt,
    replayed): an exact replay answers even past the limit and costs no hit, a new filing
    costs one hit however many reference draws it takes. Raises RateLimited past the limit
    and IdempotencyConflict for the key with another body (429 first: past the limit a
    prober learns nothing about the key)."""
    digest = request_hash(c)
    today = (now or clock.now()).date()
    classification = classify(verdict)
    accept_due, reply_due = due
    keep_contact = c.disclosure is not Disclosure.ANONYMOUS
    draw_rate: tuple[str, int, int] | None = rate
    for _ in range(REFERENCE_ATTEMPTS):
        reference = new_reference(today)
        code = access_code(secret, reference, key)
        mail = None
        if c.contact_email and keep_contact:
            # The reference only: the access code never travels by email.
            mail = (c.contact_email, "complaint.filed", _filed_mail(reference, due, public_url))
        filed = await q.file(
            conn,
            c,
            reference=reference,
            access_code_hash=hash_code(code),
            certificate_code=verdict.certificate.code if verdict.certificate else None,
            classification=str(classification),
            accept_due=accept_due,
            reply_due=reply_due,
            idempotency_key=key,
            request_hash=digest,
            keep_contact=keep_contact,
            event_note="",
            mail=mail,
            rate=draw_rate,
        )
        if filed.id is not None:
            break
        if filed.prior is not None and filed.prior.request_hash == digest:
            assert key is not None
            return _receipt(filed.prior, key, secret), True
        if filed.hits is not None and filed.hits > rate[1]:
            assert filed.window_start is not None
            raise RateLimited(retry_after(filed.window_start, rate[2]))
        if filed.prior is not None:
            raise IdempotencyConflict(key)
        # A concurrent filing with the same key won the insert, or the reference was taken.
        if key is not None and (replay := await _replay(conn, key, digest, secret)):
            return replay, True
        draw_rate = None  # this filing's hit is counted: the next draws count none
    else:
        raise RuntimeError(f"no free reference in {REFERENCE_ATTEMPTS} draws")
    receipt = Receipt(
        reference=reference,
        access_code=code,
        status=ComplaintStatus.SUBMITTED,
        classification=classification,
        deadline=reply_due,
    )
    return receipt, False


def _filed_mail(reference: str, due: tuple[dt.date, dt.date], public_url: str) -> dict[str, Any]:
    """The acknowledgement's parameters (events.render_mail renders it when sent)."""
    return {
        "reference": reference,
        "accept_due": due[0].isoformat(),
        "reply_due": due[1].isoformat(),
        "reason": DeadlineReason.FILED.value,
        "days": REPLY_DAYS,
        "public_url": public_url,
    }


def _receipt(prior: q.Prior, key: str, secret: str) -> Receipt:
    """The original receipt again; status and deadline as they are now."""
    return Receipt(
        reference=prior.reference,
        access_code=access_code(secret, prior.reference, key),
        status=ComplaintStatus(prior.status),
        classification=Classification(prior.classification),
        deadline=prior.reply_due,
    )


async def _replay(conn: asyncpg.Connection, key: str, digest: str, secret: str) -> Receipt | None:
    row = await q.find_by_key(conn, key)
    if row is None:
        return None
    if row["request_hash"] != digest:
        raise IdempotencyConflict(key)
    return _receipt(q.Prior(**{f: row[f] for f in q.Prior._fields}), key, secret)


async def find(conn: asyncpg.Connection, reference: str, code: str) -> asyncpg.Record | None:
    """The complaint's public row when the access code is right; None both for an unknown
    reference and a wrong code, so the answer reveals neither."""
    row = await q.get_for_tracking(conn, reference.strip().upper(), REPLY_DAYS)
    expected = row["access_code_hash"] if row else hash_code("not-a-code")
    if not hmac.compare_digest(expected, hash_code(code or "")) or row is None:
        return None
    return row


async def track(
    conn: asyncpg.Connection,
    reference: str,
    code: str,
    tr: Translations = CHINESE,
    marks: events.Marks = events.PLAIN,
) -> ComplaintPublic | None:
    """What the complainant sees (page and API), or None (see find()); the timeline in the
    reader's language, its sentences plain (the API) or as the page's HTML (`marks`)."""
    row = await find(conn, reference, code)
    if row is None:
        return None
    timeline = [events.public_entry(e, tr, marks) for e in await q.public_timeline(conn, row["id"])]
    fields = {k: v for k, v in dict(row).items() if k not in ("id", "access_code_hash")}
    return msgspec.convert({**fields, "timeline": timeline}, ComplaintPublic, from_attributes=True)
