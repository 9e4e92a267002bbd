"""The kinds of import and their layouts: the columns, their header names, and the SIS words read into record values."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal, get_args

from django.utils.translation import gettext_lazy

from menkan.web.records.selectors import (
    RecordKind,
)

ImportKind = Literal["students", "courses", "activities", "certificates", "exceptions"]


KINDS: tuple[ImportKind, ...] = get_args(ImportKind)


KIND_LABELS = {
    "students": gettext_lazy("Students"),
    "courses": gettext_lazy("Course records"),
    "activities": gettext_lazy("Activities"),
    "certificates": gettext_lazy("Certificates"),
    "exceptions": gettext_lazy("Exceptions"),
}


# The same in a sentence ("you may not import course records into <code>").
KIND_NAMES = {
    "students": gettext_lazy("students"),
    "courses": gettext_lazy("course records"),
    "activities": gettext_lazy("activity hours"),
    "certificates": gettext_lazy("certificates"),
    "exceptions": gettext_lazy("exceptions"),
}


# The kind of record one row of an import writes (what `record_write_permission` is asked about).
RECORD_KIND: dict[str, RecordKind] = {
    "students": "student",
    "courses": "course",
    "activities": "activity",
    "certificates": "certificate",
}


@dataclass(frozen=True)
class Column:
    """One column of a layout: the field it fills, its header names (the first is the one exports write)."""

    name: str
    headers: tuple[str, ...]
    required: bool = False


_YEAR = Column("year", ("學年", "學年度", "year", "academic_year"))


STUDENT_ID_COLUMN = Column("student_id", ("學號", "student_id", "student_no", "學生學號"), required=True)


_NOTE = ("備註", "note", "notes", "remark", "remarks")


LAYOUTS: dict[str, tuple[Column, ...]] = {
    "students": (
        STUDENT_ID_COLUMN,
        Column("name", ("姓名", "name", "學生姓名")),
        Column("department", ("系所", "department", "dept", "系所代碼", "系別", "科系"), required=True),
        Column("class_code", ("班級", "class_code", "class", "班級代碼")),
        Column("division", ("學制", "division")),
        Column("degree", ("學位", "degree", "學位別")),
        Column("admission_term", ("入學學期", "admission_term", "入學學年期"), required=True),
        Column("admitted_into_year", ("入學年級", "admitted_into_year", "admitted_year")),
    ),
    "courses": (
        STUDENT_ID_COLUMN,
        Column("term", ("學期", "term", "semester", "學年期", "學年學期"), required=True),
        Column("code", ("永久課號", "code", "course_code", "課號", "課程代碼", "科目代碼", "課程編號"), required=True),
        Column("title", ("課名", "title", "course_title", "課程名稱", "科目名稱"), required=True),
        Column("credits", ("學分數", "credits", "學分"), required=True),
        Column("offered_by", ("開課單位", "offered_by", "開課系所")),
        Column("kind", ("選別", "修別", "必選修", "選課別", "課別", "kind", "course_type")),
        Column("grade", ("成績", "grade", "score", "分數", "學期成績")),
        Column("category", ("類別", "category", "課程類別")),
        Column("delivery", ("授課方式", "delivery", "遠距教學", "遠距")),
        Column("tags", ("標籤", "tags")),
        Column("transfer", ("抵免", "transfer")),
        Column("level", ("課程層級", "level", "層級")),
        _YEAR,
    ),
    "activities": (
        STUDENT_ID_COLUMN,
        Column("item", ("項目", "item", "認證項目"), required=True),
        Column("hours", ("時數", "hours", "認證時數"), required=True),
        Column("term", ("學期", "term", "semester", "學年期"), required=True),
        Column("title", ("活動名稱", "title", "名稱"), required=True),
        Column("unit", ("單位", "unit", "主辦單位", "認證單位")),
        Column("date", ("日期", "date", "活動日期")),
        Column("passed", ("通過", "passed", "是否通過")),
        _YEAR,
    ),
    "certificates": (
        STUDENT_ID_COLUMN,
        Column("code", ("證照代碼", "code", "證照代號"), required=True),
        Column("title", ("證照名稱", "title", "名稱"), required=True),
        Column("term", ("學期", "term", "semester", "學年期"), required=True),
        Column("level", ("級別", "level", "等級")),
        Column("unit", ("單位", "unit", "登錄單位")),
        _YEAR,
    ),
    # approved decisions (the registrar's import): the fields of `exceptions` in menkan.student/1 (docs/exceptions.md)
    "exceptions": (
        STUDENT_ID_COLUMN,
        Column("kind", ("類型", "kind", "例外類型"), required=True),
        Column("requirement", ("要求", "requirement", "要求代碼"), required=True),
        Column("course", ("課號", "course", "永久課號", "code")),
        Column("replaces", ("替代課程", "replaces")),
        Column("as", ("認定為", "as")),
        Column("amount", ("降低數", "amount")),
        Column("credits", ("學分數", "credits", "學分")),
        Column("category", ("類別", "category")),
        Column("tags", ("標籤", "tags")),
        Column("title", ("名稱", "title")),
        Column("term", ("學期", "term")),
        Column("reason", ("理由", "reason", "原因"), required=True),
    ),
}


# Columns a real SIS export carries that menkan reads past (never stores): anything else is an error.
IGNORED: dict[str, tuple[str, ...]] = {
    "students": ("性別", "身分證字號", "出生日期", "生日", "電子郵件", "email", "電話", "地址", "在學狀態", *_NOTE),
    "courses": (
        "姓名",
        "name",
        "班級",
        "系所",
        "系級",
        "年級",
        "教師",
        "授課教師",
        "開課序號",
        "課程序號",
        "選課序號",
        "序號",
        "時數",
        *_NOTE,
    ),
    "activities": ("姓名", "name", "班級", "系所", *_NOTE),
    "certificates": ("姓名", "name", "班級", "系所", "發證日期", "發證單位", "證號", "證照字號", *_NOTE),
    "exceptions": ("姓名", "name", "班級", "系所", *_NOTE),
}


# 選別 (how the SIS classes a course) → `category` of menkan.student/1 (see docs/import.md).
CATEGORY_OF_KIND: dict[str, str] = {
    **dict.fromkeys(
        ("必", "必修", "專業必修", "系必修", "系定必修", "校訂專業必修", "部訂專業必修", "▲", "●"),
        "professional-required",
    ),
    **dict.fromkeys(("選", "選修", "專業選修", "系選修", "★"), "professional-elective"),
    **dict.fromkeys(("通", "通識", "博雅", "通識博雅", "通識課程"), "gen-ed"),
    **dict.fromkeys(
        ("共必", "共同必修", "校共同必修", "校訂共同必修", "校定共同必修", "部訂共同必修", "△", "○"), "common-required"
    ),
    **dict.fromkeys(("共選", "共同選修", "自由選修", "自選", "自由", "☆"), "free"),
    **dict.fromkeys(("跨域", "跨域選修"), "cross-domain"),
}


# The 選別 an export writes for a category (so a registrar reading the file sees the SIS word).
KIND_OF_CATEGORY = {
    "professional-required": "必修",
    "professional-elective": "選修",
    "gen-ed": "通識",
    "common-required": "共同必修",
    "free": "自由選修",
    "cross-domain": "跨域",
}


DIVISIONS = {
    **dict.fromkeys(("日間部", "日間部四技", "四技", "大學部", "學士班", "日間學士班"), "day-bachelor"),
    **dict.fromkeys(("進修部", "進修部四技", "夜間部", "進修學士班"), "evening-bachelor"),
    **dict.fromkeys(("碩士班", "日間碩士班"), "master"),
    **dict.fromkeys(("碩士在職專班", "在職專班"), "executive-master"),
    "博士班": "doctor",
}


DEGREES = {
    **dict.fromkeys(("bachelor", "學士", "大學", "大學部", "學士班"), "bachelor"),
    **dict.fromkeys(("master", "碩士", "碩士班"), "master"),
    **dict.fromkeys(("doctor", "phd", "博士", "博士班"), "doctor"),
    **dict.fromkeys(("associate", "副學士", "專科", "二專", "五專"), "associate"),
}


DELIVERIES = {
    **dict.fromkeys(("remote", "online", "遠距", "遠距教學", "線上", "y", "yes", "是", "true", "1"), "remote"),
    **dict.fromkeys(("", "in-person", "實體", "面授", "n", "no", "否", "false", "0"), "in-person"),
}


LEVELS = {
    **dict.fromkeys(("", "-"), ""),
    **dict.fromkeys(("undergraduate", "大學部", "學士"), "undergraduate"),
    **dict.fromkeys(("graduate", "研究所", "碩博士", "碩士", "博士"), "graduate"),
}


YES = ("y", "yes", "true", "1", "是", "v", "✓", "○", "通過")


NO = ("", "n", "no", "false", "0", "否", "x", "不通過")


WITHDRAWN_WORDS = ("停修", "棄修", "退選")  # read as the institution's first withdrawal mark (W)


TRANSFER_WORDS = ("抵免",)  # grade 抵免: a transferred course, passed (P)


def header_key(header: Any) -> str:
    """A header compared case-, width- and space-insensitively (`Student ID` = `student_id` = `學號 `)."""
    text = unicodedata.normalize("NFKC", str(header if header is not None else "")).casefold()
    return re.sub(r"[\s_\-.*:]", "", text)
