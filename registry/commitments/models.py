"""告知承诺: the published form (国办发〔2020〕42号's six fields), a signed commitment, its check,
and the rules for what a citizen types (an 18-digit ID number with its check digit)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

import msgspec

from registry.infra.errorshape import FieldError
from registry.infra.i18n import N_

METHODS = ("书面承诺", "在线签署")  # 承诺方式: on paper at the window, or signed here
METHOD_LABELS = {"书面承诺": N_("书面承诺"), "在线签署": N_("在线签署")}
DEFAULT_CHECK_DAYS = 20
# The methods of the list that mean "the applicant commits instead" (catalogue's vocabulary).
PLEDGE_METHODS = ("告知承诺制", "申请人书面承诺")
DEFAULT_LIABILITY = (
    "申请人承诺的内容不属实的，行政机关将依法撤销已办理的事项或者终止办理，"
    "将虚假承诺情况记入申请人信用记录，并依法追究相应法律责任。"
)
DEFAULT_CHECK = "事后核查：由受理部门通过部门间核查、数据共享或者现场核实等方式核查承诺内容"


class CheckResult(StrEnum):
    TRUE = "true"  # 属实
    UNTRUE = "untrue"  # 不实


CHECK_LABELS = {CheckResult.TRUE: N_("属实"), CheckResult.UNTRUE: N_("不实")}
STATUS_LABELS = {"signed": N_("已签署，待核查"), "checked": N_("已核查")}


class Form(msgspec.Struct, kw_only=True):
    """One version of an item's commitment form."""

    id: int
    code: str
    valid_from: dt.date
    valid_to: dt.date | None
    item_name: str
    basis: str
    obligation: str
    methods: list[str]
    liability: str
    check_method: str
    check_days: int
    changed_by: str
    change_reason: str
    recorded_at: dt.datetime
    superseded_at: dt.datetime | None = None


@dataclass(frozen=True)
class FormIn:
    item_name: str
    basis: str
    obligation: str
    methods: list[str]
    liability: str
    check_method: str
    check_days: int
    reason: str


@dataclass(frozen=True)
class SignIn:
    department: str
    matter: str
    name: str
    id_number: str
    phone: str


class Signed(msgspec.Struct, kw_only=True):
    """A signed commitment as staff see it: the signer's fields are '' once erased."""

    id: int
    reference: str
    code: str
    item_name: str
    department_code: str
    department: str
    matter: str
    signed_at: dt.datetime
    check_due: dt.date
    status: str
    check_result: str | None
    check_note: str
    checked_by: str | None
    checked_at: dt.datetime | None
    version: int
    erased_at: dt.datetime | None
    name: str = ""
    id_number: str = ""
    phone: str = ""


class ItemFigures(msgspec.Struct, kw_only=True):
    code: str
    item_name: str
    signed: int
    checked: int
    untrue: int
    checked_rate: float | None = None
    untrue_rate: float | None = None


# ---- what a citizen types --------------------------------------------------------------

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PHONE = re.compile(r"^1[3-9][0-9]{9}$|^0[0-9]{2,3}-?[0-9]{7,8}$")
NAME_MAX = 50


def id_number_valid(text: str) -> bool:
    """GB 11643: 17 digits, then the check digit (0-9 or X) of their weighted sum; the
    birth date inside must be a real day."""
    if not re.fullmatch(r"[0-9]{17}[0-9X]", text):
        return False
    try:
        dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == text[17]


def mask_id(text: str) -> str:
    """What every page but the clerk's detail shows: the first 3 and last 2 characters."""
    return f"{text[:3]}{'*' * 13}{text[-2:]}" if len(text) == 18 else ""


def mask_name(text: str) -> str:
    return (text[0] + "*" * (len(text) - 1)) if text else ""


def mask_phone(text: str) -> str:
    return f"{text[:3]}****{text[-4:]}" if len(text) >= 7 else ""


def validate_sign(form: dict[str, str], departments: set[str]) -> SignIn | list[FieldError]:
    """Every field's error at once; input is trimmed, the ID's x taken as X."""
    errors: list[FieldError] = []
    department = form.get("department", "").strip()
    matter = " ".join(form.get("matter", "").split())
    name = " ".join(form.get("name", "").split())
    id_number = form.get("id_number", "").strip().upper().replace(" ", "")
    phone = form.get("phone", "").strip().replace(" ", "")
    if department not in departments:
        errors.append(FieldError("department", N_("请选择受理承诺的单位（窗口）")))
    if not matter:
        errors.append(FieldError("matter", N_("请填写办理什么事")))
    elif len(matter) > 100:
        errors.append(FieldError("matter", N_("办理事项最多 100 个字")))
    if not name:
        errors.append(FieldError("name", N_("请填写承诺人姓名")))
    elif len(name) > NAME_MAX:
        errors.append(FieldError("name", N_("姓名最多 50 个字")))
    if not id_number:
        errors.append(FieldError("id_number", N_("请填写身份证号码")))
    elif not id_number_valid(id_number):
        errors.append(FieldError("id_number", N_("身份证号码不正确，请核对 18 位号码")))
    if phone and not _PHONE.match(phone):
        errors.append(FieldError("phone", N_("电话号码不正确（手机 11 位，或带区号的固定电话）")))
    if form.get("pledge") != "yes":
        errors.append(FieldError("pledge", N_("请勾选“我承诺以上内容真实”，这就是您的签名")))
    if errors:
        return errors
    return SignIn(department, matter, name, id_number, phone)


def validate_form(form: dict[str, str], methods: list[str]) -> FormIn | list[FieldError]:
    """The office's edit of a commitment form: every field's error at once."""
    errors: list[FieldError] = []
    keys = ("item_name", "basis", "obligation", "liability", "check_method", "reason")
    text = {k: form.get(k, "").strip() for k in keys}
    for key, message in (
        ("item_name", N_("请填写事项名称")),
        ("obligation", N_("请填写证明内容或承诺的义务")),
        ("liability", N_("请填写不实承诺的法律责任")),
        ("check_method", N_("请填写核查的方式")),
        ("reason", N_("请写明修改理由")),
    ):
        if not text[key]:
            errors.append(FieldError(key, message))
    for key in text:
        if len(text[key]) > 2000:
            errors.append(FieldError(key, N_("最多 2000 个字")))
    chosen = [m for m in methods if m in METHODS]
    if not chosen or len(chosen) != len(methods):
        errors.append(FieldError("methods", N_("请至少选择一种承诺方式")))
    days_text = form.get("check_days", "").strip()
    days = int(days_text) if days_text.isdigit() and len(days_text) <= 3 else 0
    if not 1 <= days <= 365:
        errors.append(FieldError("check_days", N_("核查时间为 1 到 365 个工作日")))
    if errors:
        return errors
    return FormIn(
        item_name=text["item_name"],
        basis=text["basis"],
        obligation=text["obligation"],
        methods=chosen,
        liability=text["liability"],
        check_method=text["check_method"],
        check_days=days,
        reason=text["reason"],
    )


def default_obligation(name: str, replacement: str) -> str:
    """The default 证明内容/义务 of an item, from its own data."""
    text = f"申请人承诺符合原需由“{name}”证明的条件，所填信息及承诺内容真实、准确、完整。"
    return f"{text}（取消后办理方式：{replacement}）" if replacement else text
