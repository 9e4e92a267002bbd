"""The one mapping between the record rows (students, courses, activities, certificates, exceptions) and the record.

Reading has two paths over the same field mapping (`course_fragment`, `activity_fragment`, `certificate_fragment`,
`student_head`): `student_documents` (plain JSON values: the API, what-if, programs) and `engine_inputs` (many
students in five queries, values already converted the way validation converts them: batch audits, reports).
Writing is the inverse: `course_row`, `activity_row`, `certificate_row` and `student_row` turn a validated
document's parts into the rows' natural keys and fields (imports and the API's PUT write through them).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import FloatField, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from menkan.engine import Student as EngineStudent
from menkan.engine import Term, student_from_dict
from menkan.web.records.models import Activity, Certificate, CourseRecord, RecordException, Student

SCHEMA = "menkan.student/1"
# Blocks of the record kept as JSON in `Student.standing`, in the shape of `menkan.student/1`.
STANDING_BLOCKS = ("enrollment", "ethics", "programs", "degree_exams", "extensions", "ranks")

# The columns each fragment is built from, in the order the fragment functions take them (after `student_id`).
COURSE_COLUMNS: tuple[str, ...] = (
    "code",
    "title",
    "credits",
    "term",
    "grade",
    "offered_by",
    "category",
    "tags",
    "delivery",
)
COURSE_COLUMNS += ("transfer", "level")
ACTIVITY_COLUMNS = ("id", "item", "hours", "term", "title", "unit", "date", "passed")
CERTIFICATE_COLUMNS = ("id", "code", "title", "term", "level")
STUDENT_COLUMNS: tuple[str, ...] = (
    "student_id",
    "institution__code",
    "department__code",
    "division",
    "degree",
    "admission_term",
)
STUDENT_COLUMNS += ("admitted_into_year", "name", "school_class__code", "flags", "standing")
_ORDER = ("student_id", "term", "id")


# --------------------------------------------------------------------------------------------------- rows → document


def course_fragment(
    code: str,
    title: str,
    credits: Any,
    term: Any,
    grade: str | None,
    offered_by: str,
    category: str,
    tags: Any,
    delivery: str,
    transfer: bool,
    level: str,
) -> dict[str, Any]:
    """One course record row as the `courses` entry of `menkan.student/1` (empty and default fields left out)."""
    course = {"code": code, "title": title, "credits": credits, "term": term}
    if grade is not None:
        course["grade"] = grade
    if offered_by:
        course["offered_by"] = offered_by
    if category:
        course["category"] = category
    if level:
        course["level"] = level
    if tags:
        course["tags"] = tags
    if delivery != "in-person":
        course["delivery"] = delivery
    if transfer:
        course["transfer"] = True
    return course


def activity_fragment(
    pk: int, item: str, hours: Any, term: Any, title: str, unit: str, date: Any, passed: bool
) -> dict[str, Any]:
    """One activity row as the `activities` entry (its id is the row's, so findings can name the row)."""
    activity = {"item": item, "hours": hours, "term": term, "title": title, "id": f"activity-{pk}"}
    if unit:
        activity["unit"] = unit
    if date is not None:
        activity["date"] = date if isinstance(date, str) else date.isoformat()
    if not passed:
        activity["passed"] = False
    return activity


def certificate_fragment(pk: int, code: str, title: str, term: Any, level: str) -> dict[str, Any]:
    """One certificate row as the `certificates` entry."""
    certificate = {"code": code, "title": title, "term": term, "id": f"certificate-{pk}"}
    if level:
        certificate["level"] = level
    return certificate


def student_head(
    student_id: str,
    institution: str,
    department: str,
    division: str,
    degree: str,
    admission_term: Any,
    admitted_into_year: int,
    name: str,
    class_code: str | None,
    flags: Any,
    standing: Any,
) -> dict[str, Any]:
    """The student row as the document without its records (`courses`, `activities`, `certificates` empty): who
    they are, and the standing blocks kept in `standing`."""
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "student_id": student_id,
        "institution": institution,
        "department": department,
        "division": division,
        "degree": degree,
        "admission_term": admission_term,
        "admitted_into_year": admitted_into_year,
        "courses": [],
        "activities": [],
        "certificates": [],
    }
    if name:
        document["name"] = name
    if class_code is not None:
        document["class_code"] = class_code
    if flags:
        document["flags"] = flags
    document.update(standing or {})
    return document


def exception_fragment(exception: RecordException) -> dict[str, Any]:
    """One approved exception as the `exceptions` entry (only what its kind needs; empty fields left out). Its
    `approved_by` is the decider's name (their username when they have none), `approved_on` the day of the decision."""
    decider = exception.decided_by
    entry: dict[str, Any] = {
        "id": exception.record_id,
        "kind": exception.kind,
        "requirement": exception.requirement,
        "reason": exception.reason,
        "approved_by": (decider.get_full_name() or decider.username) if decider is not None else "?",
        "approved_on": timezone.localtime(exception.decided_at).date().isoformat() if exception.decided_at else "",
    }
    optional = {
        "course": exception.course,
        "replaces": exception.replaces,
        "as": exception.recognised_as,
        "category": exception.category,
        "title": exception.title,
        "term": exception.term,
    }
    entry.update({name: value for name, value in optional.items() if value})
    for name in ("amount", "credits"):
        value = getattr(exception, name)
        if value is not None:
            entry[name] = json_number(value)
    if exception.tags:
        entry["tags"] = list(exception.tags)
    return entry


def approved_exceptions(ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The approved exceptions of these students as their `exceptions` entries, in one query (both paths read
    them here: they are few, and a record without any has no `exceptions` block at all)."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not ids:
        return found
    approved = RecordException.objects.filter(status=RecordException.Status.APPROVED)
    rows = (
        approved.filter(student_id__in=_ids_parameter(approved.db, ids))
        .select_related("decided_by")
        .order_by("student_id", "pk")
    )
    for exception in rows:
        found[exception.student_id].append(exception_fragment(exception))
    return found


def json_number(value: Decimal) -> int | float:
    """A stored decimal as the JSON number of the document (3, 2.5)."""
    return int(value) if value == int(value) else float(value)


def json_value(value: Any) -> Any:
    """A JSON column as the driver returns it (text on SQLite, and on PostgreSQL through Django's loader)."""
    if value is None or value in ("[]", "{}"):
        return None
    return json.loads(value) if isinstance(value, str | bytes) else value


def student_documents(students: Iterable[Student]) -> Iterator[tuple[Student, dict[str, Any]]]:
    """Each student with their record as a `menkan.student/1` document (plain JSON values), in four queries per
    batch."""
    batch = list(students)
    ids = [s.pk for s in batch]
    records: dict[str, dict[int, list[dict[str, Any]]]] = {name: defaultdict(list) for name in _BLOCKS}
    for name, (model, columns, build) in _BLOCKS.items():
        rows = model.objects.filter(student_id__in=ids).order_by(*_ORDER).values_list("student_id", *columns)
        for student_pk, *values in rows:
            records[name][student_pk].append(build(*_plain(columns, values)))
    exceptions = approved_exceptions(ids)
    for student in batch:
        document = student_head(
            student.student_id,
            student.institution.code,
            student.department.code,
            student.division,
            student.degree,
            student.admission_term,
            student.admitted_into_year,
            student.name,
            student.school_class.code if student.school_class_id is not None else None,
            student.flags,
            student.standing,
        )
        for name in _BLOCKS:
            document[name] = records[name].get(student.pk, [])
        if student.pk in exceptions:
            document["exceptions"] = exceptions[student.pk]
        yield student, document


def student_document(student: Student) -> dict[str, Any]:
    """The student's record as a `menkan.student/1` document."""
    return next(student_documents([student]))[1]


_BLOCKS: dict[str, tuple[type[Any], tuple[str, ...], Any]] = {
    "courses": (CourseRecord, COURSE_COLUMNS, course_fragment),
    "activities": (Activity, ACTIVITY_COLUMNS, activity_fragment),
    "certificates": (Certificate, CERTIFICATE_COLUMNS, certificate_fragment),
}
_DECIMALS = frozenset(("credits", "hours"))


def _plain(columns: tuple[str, ...], values: Sequence[Any]) -> list[Any]:
    return [json_number(v) if c in _DECIMALS else v for c, v in zip(columns, values, strict=True)]


def block_columns(block: str) -> tuple[str, ...]:
    """The columns of the rows of `block` (courses, activities, certificates) that `fragment` takes, in order."""
    return _BLOCKS[block][1]


def fragment(block: str, values: Sequence[Any]) -> dict[str, Any]:
    """One row of `block` (its `block_columns` as `values_list` reads them) as its entry of the document."""
    _model, columns, build = _BLOCKS[block]
    entry: dict[str, Any] = build(*_plain(columns, values))
    return entry


# --- the fast batch path ----------------------------------------------------------------------------------------
#
# engine_inputs() builds the same documents as student_documents(), for thousands of students a second. Its
# values are already converted the way validating the JSON document would convert them: terms parsed (Term,
# the same object for every course of a term) and numbers as the Decimal that the JSON number json_number() gives
# turns into. Validation then runs as for any input (same checks, same records, same messages) without
# parsing the same few terms once per course; a value that does not convert (a malformed term) is left as it
# is, for validation to report exactly as before. Each student's rows come in the same (term, id) order.
# Rows are read as the driver returns them (numbers cast to float, tags as JSON text, the students as one
# parameter): Django's per-row conversions, Decimal hashing and JSON decoding cost more than the query.
_TERMS: dict[Any, Any] = {}
_NUMBERS: dict[Any, Decimal] = {}
_TAGS: dict[str, Any] = {}
_CACHE_LIMIT = 4096


def _engine_term(text: Any) -> Any:
    try:
        term: Any = Term.parse(text)
    except ValueError:
        term = text  # left for validation to report
    if len(_TERMS) > _CACHE_LIMIT:
        _TERMS.clear()
    _TERMS[text] = term
    return term


def _engine_number(value: Any) -> Decimal:
    # as the JSON number would validate: 3.0 -> 3 -> Decimal('3'); 2.5 -> 2.5 -> Decimal('2.5')
    number = Decimal(int(value)) if value == int(value) else Decimal(str(float(value)))
    if len(_NUMBERS) > _CACHE_LIMIT:
        _NUMBERS.clear()
    _NUMBERS[value] = number
    return number


def _engine_tags(text: Any) -> Any:
    if text is None or text == "[]":
        return None
    tags = _TAGS.get(text)
    if tags is None:
        tags = json.loads(text) if isinstance(text, str | bytes) else text
        if isinstance(tags, list):
            tags = tuple(tags)  # shared by every course with these tags, so immutable (validation makes it one anyway)
        if len(_TAGS) > _CACHE_LIMIT:
            _TAGS.clear()
        _TAGS[text] = tags
    return tags


def _ids_parameter(db: str, ids: list[int]) -> Any:
    """The students as one parameter of an `__in` lookup (a PostgreSQL array; a JSON list for SQLite's json_each)."""
    vendor = connections[db].vendor
    if vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (ids,))
    if vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(ids),))
    return ids  # pragma: no cover - other databases: plain placeholders


def _raw_rows(queryset: QuerySet[Any], ids: list[int]) -> list[tuple[Any, ...]]:
    """The rows of a values_list() query over these students, as the database driver returns them.

    The students are passed as one parameter (a PostgreSQL array; a JSON list for SQLite's json_each)
    rather than one placeholder each."""
    field = "pk" if queryset.model is Student else "student_id"
    sql, params = queryset.filter(**{f"{field}__in": _ids_parameter(queryset.db, ids)}).query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _by_student(rows: list[tuple[Any, ...]]) -> dict[int, list[tuple[Any, ...]]]:
    grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    return grouped


def _driver_columns(columns: tuple[str, ...]) -> tuple[str, ...]:
    """The columns as the batch path reads them: decimals cast to float, tags as their JSON text."""
    renamed = {"credits": "credits_float", "hours": "hours_float", "tags": "tags_text"}
    return tuple(renamed.get(column, column) for column in columns)


@dataclass(frozen=True, slots=True)
class EngineInput:
    """One student of a batch, ready for validation: who they are, their engine document and its revision (read
    with the student's row, before their records: a record changed meanwhile bumps it past this value)."""

    pk: int
    student_id: str
    institution_id: int
    document: dict[str, Any]
    revision: int

    def record(self) -> EngineStudent:
        """The validated engine record (InputError, located, if the stored record is not valid)."""
        return student_from_dict(self.document, source=f"student {self.student_id}")


def engine_inputs(pks: Iterable[int]) -> list[EngineInput]:
    """The students with these primary keys (in key order), read in five queries whatever their number,
    with documents ready for validation (see above)."""
    ids = sorted(set(pks))
    if not ids:
        return []
    terms, numbers = _TERMS, _NUMBERS
    # the students first: their revision is as old as the records read after it, or older (never newer)
    student_columns = ("pk", "institution_id", "revision", *STUDENT_COLUMNS)
    students = _raw_rows(Student.objects.order_by("pk").values_list(*student_columns), ids)
    courses_query = CourseRecord.objects.annotate(
        credits_float=Cast("credits", FloatField()), tags_text=Cast("tags", TextField())
    )
    courses: dict[int, list[dict[str, Any]]] = {}
    course_rows = _raw_rows(
        courses_query.order_by(*_ORDER).values_list("student_id", *_driver_columns(COURSE_COLUMNS)), ids
    )
    for student_pk, rows in _by_student(course_rows).items():
        courses[student_pk] = [
            course_fragment(
                code,
                title,
                numbers.get(credits) or _engine_number(credits),
                terms.get(term) or _engine_term(term),
                grade,
                offered_by,
                category,
                _engine_tags(tags),
                delivery,
                transfer,
                level,
            )
            for _, code, title, credits, term, grade, offered_by, category, tags, delivery, transfer, level in rows
        ]
    activities: dict[int, list[dict[str, Any]]] = {}
    activities_query = Activity.objects.annotate(hours_float=Cast("hours", FloatField()))
    activity_rows = _raw_rows(
        activities_query.order_by(*_ORDER).values_list("student_id", *_driver_columns(ACTIVITY_COLUMNS)), ids
    )
    for student_pk, rows in _by_student(activity_rows).items():
        activities[student_pk] = [
            activity_fragment(
                pk,
                item,
                numbers.get(hours) or _engine_number(hours),
                terms.get(term) or _engine_term(term),
                title,
                unit,
                date,
                passed,
            )
            for _, pk, item, hours, term, title, unit, date, passed in rows
        ]
    certificates: dict[int, list[dict[str, Any]]] = {}
    certificate_query = Certificate.objects.order_by(*_ORDER).values_list("student_id", *CERTIFICATE_COLUMNS)
    for student_pk, rows in _by_student(_raw_rows(certificate_query, ids)).items():
        certificates[student_pk] = [
            certificate_fragment(pk, code, title, terms.get(term) or _engine_term(term), level)
            for _, pk, code, title, term, level in rows
        ]
    exceptions = approved_exceptions(ids)
    inputs = []
    for pk, institution_id, revision, student_id, institution, department, *rest in students:
        division, degree, admission_term, admitted_into_year, name, class_code, flags, standing = rest
        document = student_head(
            student_id,
            institution,
            department,
            division,
            degree,
            terms.get(admission_term) or _engine_term(admission_term),
            admitted_into_year,
            name,
            class_code,
            json_value(flags),
            json_value(standing),
        )
        document["courses"] = courses.get(pk, [])
        document["activities"] = activities.get(pk, [])
        document["certificates"] = certificates.get(pk, [])
        if pk in exceptions:
            document["exceptions"] = exceptions[pk]
        inputs.append(EngineInput(pk, student_id, institution_id, document, revision))
    return inputs


def engine_students(students: Iterable[Student]) -> Iterator[tuple[Student, EngineStudent]]:
    """Students ready for the engine (validated as any other input)."""
    batch = list(students)
    inputs = {item.pk: item for item in engine_inputs(student.pk for student in batch)}
    for student in batch:
        yield student, inputs[student.pk].record()


# --------------------------------------------------------------------------------------------------- document → rows
#
# Each takes one entry of a validated record as JSON data (`student_to_dict`), and returns the row's natural key
# (how an existing row is found: the same key is the same record) and its other fields.

Key = tuple[Any, ...]


def course_row(course: dict[str, Any]) -> tuple[Key, dict[str, Any], dict[str, Any]]:
    """A `courses` entry as (natural key, key fields, other fields) of its CourseRecord row."""
    identity = {"code": course["code"], "term": course["term"]}
    fields = {
        "title": course["title"],
        "credits": Decimal(str(course["credits"])),
        "grade": course.get("grade"),
        "offered_by": course.get("offered_by") or "",
        "category": course.get("category") or "",
        "tags": list(course.get("tags") or []),
        "delivery": course.get("delivery", "in-person"),
        "transfer": bool(course.get("transfer", False)),
        "level": course.get("level") or "",
    }
    return (identity["code"], identity["term"]), identity, fields


def activity_row(activity: dict[str, Any]) -> tuple[Key, dict[str, Any], dict[str, Any]]:
    """An `activities` entry as (natural key, key fields, other fields) of its Activity row."""
    date = activity.get("date")
    identity = {
        "item": activity["item"],
        "title": activity["title"],
        "term": activity["term"],
        "date": dt.date.fromisoformat(date) if isinstance(date, str) else date,
    }
    fields = {
        "hours": Decimal(str(activity["hours"])),
        "unit": activity.get("unit") or "",
        "passed": activity.get("passed", True),
    }
    return activity_key(identity), identity, fields


def activity_key(identity: dict[str, Any]) -> Key:
    return (identity["item"], identity["title"], identity["term"], identity["date"])


def certificate_row(certificate: dict[str, Any]) -> tuple[Key, dict[str, Any], dict[str, Any]]:
    """A `certificates` entry as (natural key, key fields, other fields) of its Certificate row."""
    identity = {"code": certificate["code"], "term": certificate["term"]}
    fields = {"title": certificate["title"], "level": certificate.get("level") or ""}
    return (identity["code"], identity["term"]), identity, fields


def student_row(record: dict[str, Any]) -> dict[str, Any]:
    """The Student row's own fields of a record (its department and class are looked up by the caller from
    `department` and `class_code`)."""
    return {
        "name": record.get("name", ""),
        "division": record.get("division", "day-bachelor"),
        "degree": record.get("degree", "bachelor"),
        "admission_term": record["admission_term"],
        "admitted_into_year": record.get("admitted_into_year", 1),
        "flags": list(record.get("flags", [])),
        "standing": {name: record[name] for name in STANDING_BLOCKS if record.get(name)},
    }
