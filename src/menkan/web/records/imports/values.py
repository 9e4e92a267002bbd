"""Cell values in the spellings registrars use, normalised to the record's form (terms, numbers, dates, choices)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from menkan.engine import Term
from menkan.web.records.imports.layouts import CATEGORY_OF_KIND, DEGREES, DIVISIONS, NO, YES
from menkan.web.records.models import (
    Student,
)

SLUG = re.compile(r"^[a-z][a-z0-9-]*$")


class BadValue(ValueError):
    """A cell's value is not valid: the message is the reason shown to the user."""


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


_SEMESTERS = {
    "1": "1",
    "2": "2",
    "s": "S",
    "上": "1",
    "下": "2",
    "暑": "S",
    "一": "1",
    "二": "2",
    "暑修": "S",
    "暑期": "S",
}


_TERM_FORMS = (
    re.compile(r"^(\d{2,3})\s*[-/_.]\s*([12sS])$"),  # 112-1, 112/2, 112-S, 99-1
    re.compile(r"^(\d{3})([12sS])$"),  # 1121, 112S (a 3-digit year: 112 alone is not 11-2)
    re.compile(r"^(\d{2,3})\s*(?:學年度?)?\s*(上|下|暑修|暑期|暑)(?:學期)?$"),  # 112上, 112學年度下學期, 112暑
    re.compile(r"^(\d{2,3})\s*學年度?\s*第?\s*([12一二])\s*學期$"),  # 112學年度第1學期
)


_TERM_HELP = gettext_lazy("expected ROC year and semester: 112-1, 112-2, 112-S (also 1121, 112上, 112下, 112暑)")


def parse_term(text: str, year: str = "") -> str:
    """A term in any accepted form as `112-1` / `112-2` / `112-S`. With `year` (a separate 學年 column), `text`
    may be only the semester (1, 2, S, 上, 下, 暑)."""
    value = nfkc(text)
    if year:
        year_text = nfkc(year)
        if not re.fullmatch(r"\d{2,3}", year_text):
            raise BadValue(_("academic year '%(value)s' is not an ROC year such as 112") % {"value": year})
        semester = _SEMESTERS.get(value.casefold().removeprefix("第").removesuffix("學期"))
        if semester is None:
            if value.startswith(year_text):
                return parse_term(value)
            raise BadValue(_("semester '%(value)s' is not 1, 2 or S (上, 下, 暑)") % {"value": text})
        return f"{int(year_text)}-{semester}"
    for form in _TERM_FORMS:
        match = form.match(value)
        if match:
            semester = _SEMESTERS[match.group(2).casefold()]
            term = f"{int(match.group(1))}-{semester}"
            try:
                Term.parse(term)
            except ValueError:
                break
            return term
    raise BadValue(_("'%(value)s' is not a term (%(help)s)") % {"value": text, "help": _TERM_HELP})


def decimal_value(text: str, what: str, *, places: int, limit: int) -> Decimal:
    value_text = nfkc(text)
    try:
        value = Decimal(value_text)
    except InvalidOperation:
        raise BadValue(_("'%(value)s' is not a number") % {"value": text}) from None
    if not value.is_finite():
        raise BadValue(_("'%(value)s' is not a number") % {"value": text})
    # a negative value is the engine's to refuse (the row's check): here only what the database can hold
    if value >= limit:
        raise BadValue(
            _("%(what)s must be less than %(limit)s (got %(value)s)") % {"what": what, "limit": limit, "value": text}
        )
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise BadValue(
            _("%(what)s may have at most %(places)s decimal place (got %(value)s)")
            % {"what": what, "places": places, "value": text}
        )
    return value.quantize(Decimal(1).scaleb(-places))


def flag(text: str) -> bool:
    value = nfkc(text).casefold()
    if value in YES:
        return True
    if value in NO:
        return False
    raise BadValue(_("'%(value)s' is not yes or no (Y/N, 是/否)") % {"value": text})


def date_value(text: str) -> dt.date | None:
    value = nfkc(text)
    if not value:
        return None
    match = re.fullmatch(r"(\d{2,4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?", value) or re.fullmatch(
        r"(\d{3,4})(\d{2})(\d{2})", value
    )
    if match is None:
        raise BadValue(_("'%(value)s' is not a date (2024-05-20, 2024/5/20 or ROC 113/05/20)") % {"value": text})
    year, month, day = (int(part) for part in match.groups())
    if year < 1911:
        year += 1911  # ROC year
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise BadValue(_("'%(value)s' is not a date on the calendar") % {"value": text}) from None


def limited(text: str, model: type[models.Model], name: str) -> str:
    limit = model._meta.get_field(name).max_length  # type: ignore[union-attr]
    if limit is not None and len(text) > limit:
        raise BadValue(_("longer than %(limit)s characters") % {"limit": limit})
    return text


def required(text: str) -> str:
    if not text:
        raise BadValue(_("required: the cell is empty"))
    return text


def choice(text: str, table: dict[str, str], what: Any, *, slugs: bool = False) -> str:
    """A value from `table` (its keys compared case-insensitively); with `slugs`, also any code such as
    `day-bachelor` as it is."""
    value = nfkc(text)
    mapped = table.get(value.casefold(), table.get(value))
    if mapped is not None:
        return mapped
    if slugs and SLUG.match(value):
        return value
    raise BadValue(_("'%(value)s' is not a known %(what)s") % {"value": text, "what": what})


def division_value(text: str) -> str:
    if not nfkc(text):
        return "day-bachelor"
    return limited(
        choice(text, DIVISIONS, _("學制 (division; or its code, e.g. day-bachelor)"), slugs=True), Student, "division"
    )


def category_value(text: str) -> str:
    value = nfkc(text)
    if not value:
        return ""
    if value in CATEGORY_OF_KIND:
        return CATEGORY_OF_KIND[value]
    if SLUG.match(value.casefold()):
        return value.casefold()
    raise BadValue(
        _("'%(value)s' is not a known 選別 or category (必/選/通/共同必修/跨域…, or a code)") % {"value": text}
    )


def tag_list(text: str) -> list[str]:
    tags: list[str] = []
    for part in re.split(r"[;,、|\n]", text):
        tag = part.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def degree_value(text: str) -> str:
    value = nfkc(text).casefold()
    if not value:
        return "bachelor"
    if value not in DEGREES:
        raise BadValue(
            _("'%(value)s' is not a degree (學士 bachelor, 碩士 master, 博士 doctor, 副學士 associate)")
            % {"value": text}
        )
    return DEGREES[value]


def year_of_study(text: str) -> int:
    value = nfkc(text)
    if not value:
        return 1
    if not value.isdigit() or int(value) > 10:  # 0 is the engine's to refuse (the row's check)
        raise BadValue(_("'%(value)s' is not a year of study (1, 2, 3 …)") % {"value": text})
    return int(value)
