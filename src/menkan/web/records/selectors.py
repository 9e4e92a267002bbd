"""Reads of records: who may see which students, and students in the engine's `menkan.student/1` form."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import FloatField, Q, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.http import Http404
from django.utils.translation import gettext

from menkan.engine import InputError, Term, student_from_dict, study_year
from menkan.engine import Student as EngineStudent
from menkan.engine.policy.workflows import Workflows
from menkan.web.accounts.models import Role, RoleAssignment, User
from menkan.web.records.models import Activity, Certificate, CourseRecord, Institution, Student


def students_visible_to(user: User) -> QuerySet[Student]:
    """The students whose records `user` may see: a student only themself, a mentor their classes,
    department staff their department, the registrar the institution. Unit staff see no student's
    record (only their unit's items)."""
    if not user.is_authenticated:
        return Student.objects.none()
    if user.is_superuser:
        return Student.objects.all()
    scope = Q(user=user) | Q(school_class__mentor=user)
    for assignment in RoleAssignment.objects.filter(user=user):
        if assignment.role == Role.REGISTRAR:
            scope |= Q(institution_id=assignment.institution_id)
        elif assignment.role in (Role.DEPARTMENT_OFFICER, Role.DEPARTMENT_HEAD) and assignment.department_id:
            scope |= Q(department_id=assignment.department_id)
        elif assignment.role == Role.MENTOR and assignment.school_class_id:
            scope |= Q(school_class_id=assignment.school_class_id)
    return Student.objects.filter(scope).distinct()


def student_of(user: User) -> Student | None:
    """The student record of the person asking, if they are a student (None for staff and anonymous users)."""
    return getattr(user, "student", None) if user.is_authenticated else None


class StudentNotFound(Http404):
    """No student the asker may see under this id: raised alike whether the student does not exist or is not
    theirs to see, so that the answer (404, same body) tells nobody which ids exist."""

    def __init__(self) -> None:
        super().__init__("no such student")


def student_get_for(user: User, institution: str, student_id: str) -> Student:
    """One student, if `user` may see them; StudentNotFound (404) both when there is no such student and when
    there is one `user` may not see. Every page and endpoint addressed by a student id looks the student up here."""
    student = (
        students_visible_to(user)
        .select_related("institution", "department", "school_class")
        .filter(institution__code=institution, student_id=student_id)
        .first()
    )
    if student is None:
        raise StudentNotFound
    return student


def activities_visible_to(user: User) -> QuerySet[Activity]:
    """Activities: unit staff see their unit's; others see those of the students they may see."""
    units = list(RoleAssignment.objects.filter(user=user, role=Role.UNIT_STAFF).values_list("institution_id", "unit"))
    scope = Q(student__in=students_visible_to(user))
    for institution_id, unit in units:
        scope |= Q(student__institution_id=institution_id, unit=unit)
    return Activity.objects.filter(scope)


def certificates_visible_to(user: User) -> QuerySet[Certificate]:
    units = list(RoleAssignment.objects.filter(user=user, role=Role.UNIT_STAFF).values_list("institution_id", "unit"))
    scope = Q(student__in=students_visible_to(user))
    for institution_id, unit in units:
        scope |= Q(student__institution_id=institution_id, unit=unit)
    return Certificate.objects.filter(scope)


def _number(value: Any) -> Any:
    return int(value) if value == int(value) else float(value)


def _course(row: dict[str, Any]) -> dict[str, Any]:
    record = {"code": row["code"], "title": row["title"], "credits": _number(row["credits"]), "term": row["term"]}
    for name in ("grade",):
        if row[name] is not None:
            record[name] = row[name]
    for name in ("offered_by", "category", "level"):
        if row[name]:
            record[name] = row[name]
    if row["tags"]:
        record["tags"] = row["tags"]
    if row["delivery"] != "in-person":
        record["delivery"] = row["delivery"]
    if row["transfer"]:
        record["transfer"] = True
    return record


def _activity(row: dict[str, Any]) -> dict[str, Any]:
    record = {
        "item": row["item"],
        "hours": _number(row["hours"]),
        "term": row["term"],
        "title": row["title"],
        "id": f"activity-{row['id']}",
    }
    if row["unit"]:
        record["unit"] = row["unit"]
    if row["date"] is not None:
        record["date"] = row["date"].isoformat()
    if not row["passed"]:
        record["passed"] = False
    return record


def _certificate(row: dict[str, Any]) -> dict[str, Any]:
    record = {"code": row["code"], "title": row["title"], "term": row["term"], "id": f"certificate-{row['id']}"}
    if row["level"]:
        record["level"] = row["level"]
    return record


_COURSE_FIELDS = ("student_id", "code", "title", "credits", "term", "grade", "offered_by", "category", "tags")
_COURSE_FIELDS += ("delivery", "transfer", "level")
_ACTIVITY_FIELDS = ("id", "student_id", "item", "hours", "term", "title", "unit", "date", "passed")
_CERTIFICATE_FIELDS = ("id", "student_id", "code", "title", "term", "level")


def student_documents(students: Iterable[Student]) -> Iterator[tuple[Student, dict[str, Any]]]:
    """Each student with their record as a `menkan.student/1` document, in three queries per batch."""
    batch = list(students)
    ids = [s.pk for s in batch]
    courses: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in CourseRecord.objects.filter(student_id__in=ids).order_by("term", "id").values(*_COURSE_FIELDS):
        courses[row["student_id"]].append(_course(row))
    activities: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in Activity.objects.filter(student_id__in=ids).order_by("term", "id").values(*_ACTIVITY_FIELDS):
        activities[row["student_id"]].append(_activity(row))
    certificates: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in Certificate.objects.filter(student_id__in=ids).order_by("term", "id").values(*_CERTIFICATE_FIELDS):
        certificates[row["student_id"]].append(_certificate(row))
    for student in batch:
        document: dict[str, Any] = {
            "schema": "menkan.student/1",
            "student_id": student.student_id,
            "institution": student.institution.code,
            "department": student.department.code,
            "division": student.division,
            "degree": student.degree,
            "admission_term": student.admission_term,
            "admitted_into_year": student.admitted_into_year,
            "courses": courses.get(student.pk, []),
            "activities": activities.get(student.pk, []),
            "certificates": certificates.get(student.pk, []),
        }
        if student.name:
            document["name"] = student.name
        if student.school_class_id is not None:
            document["class_code"] = student.school_class.code
        if student.flags:
            document["flags"] = student.flags
        document.update(student.standing or {})
        yield student, document


def student_document(student: Student) -> dict[str, Any]:
    return next(student_documents([student]))[1]


# --- students for the engine, many at a time (batch audits) ------------------------------------------------------
#
# engine_inputs() builds the same documents as student_documents(), for thousands of students a second. Its
# values are already converted the way validating the JSON document would convert them: terms parsed (Term,
# the same object for every course of a term) and numbers as the Decimal that the JSON number _number() gives
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


def _engine_tags(text: str) -> Any:
    tags = json.loads(text)
    if isinstance(tags, list):
        tags = tuple(tags)  # shared by every course with these tags, so immutable (validation makes it one anyway)
    if len(_TAGS) > _CACHE_LIMIT:
        _TAGS.clear()
    _TAGS[text] = tags
    return tags


def _engine_json(value: Any) -> Any:
    """A JSON column as the driver returns it: text (SQLite, and PostgreSQL through Django's loader)."""
    if value is None or value in ("[]", "{}"):
        return None
    return json.loads(value) if isinstance(value, str | bytes) else value


def _raw_rows(queryset: QuerySet[Any], ids: list[int]) -> list[tuple[Any, ...]]:
    """The rows of a values_list() query over these students, as the database driver returns them.

    The students are passed as one parameter (a PostgreSQL array; a JSON list for SQLite's json_each)
    rather than one placeholder each."""
    vendor = connections[queryset.db].vendor
    if vendor == "postgresql":
        subquery = RawSQL("SELECT unnest(%s::bigint[])", (ids,))
    elif vendor == "sqlite":
        subquery = RawSQL("SELECT value FROM json_each(%s)", (json.dumps(ids),))
    else:  # pragma: no cover - other databases: plain placeholders
        subquery = ids
    field = "pk" if queryset.model is Student else "student_id"
    sql, params = queryset.filter(**{f"{field}__in": subquery}).query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_ENGINE_COURSE_FIELDS = ("student_id", "term", "code", "title", "credits_float", "grade", "offered_by", "category")
_ENGINE_COURSE_FIELDS += ("tags_text", "delivery", "transfer", "level")
_ENGINE_ACTIVITY_FIELDS = ("student_id", "term", "id", "item", "hours_float", "title", "unit", "date", "passed")
_ENGINE_CERTIFICATE_FIELDS = ("student_id", "term", "id", "code", "title", "level")
_ENGINE_STUDENT_FIELDS = ("pk", "student_id", "institution_id", "institution__code", "department__code")
_ENGINE_STUDENT_FIELDS += ("division", "degree", "admission_term", "admitted_into_year", "name", "school_class__code")
_ENGINE_STUDENT_FIELDS += ("flags", "standing")
_ORDER = ("student_id", "term", "id")


def _by_student(rows: list[tuple[Any, ...]]) -> dict[int, list[tuple[Any, ...]]]:
    grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    return grouped


@dataclass(frozen=True, slots=True)
class EngineInput:
    """One student of a batch, ready for validation: who they are and their engine document."""

    pk: int
    student_id: str
    institution_id: int
    document: dict[str, Any]

    def record(self) -> EngineStudent:
        """The validated engine record (InputError, located, if the stored record is not valid)."""
        return student_from_dict(self.document, source=f"student {self.student_id}")


def engine_inputs(pks: Iterable[int]) -> list[EngineInput]:
    """The students with these primary keys (in key order), read in four queries whatever their number,
    with documents ready for validation (see above)."""
    ids = sorted(set(pks))
    if not ids:
        return []
    terms, numbers, tags_cache = _TERMS, _NUMBERS, _TAGS
    students = _raw_rows(Student.objects.order_by("pk").values_list(*_ENGINE_STUDENT_FIELDS), ids)
    courses_query = CourseRecord.objects.annotate(
        credits_float=Cast("credits", FloatField()), tags_text=Cast("tags", TextField())
    )
    courses: dict[int, list[dict[str, Any]]] = {}
    course_rows = _raw_rows(courses_query.order_by(*_ORDER).values_list(*_ENGINE_COURSE_FIELDS), ids)
    for student_id, rows in _by_student(course_rows).items():
        documents = courses[student_id] = []
        for _, term, code, title, credits, grade, offered_by, category, tags, delivery, transfer, level in rows:
            course = {
                "code": code,
                "title": title,
                "credits": numbers.get(credits) or _engine_number(credits),
                "term": terms.get(term) or _engine_term(term),
            }
            if grade is not None:
                course["grade"] = grade
            if offered_by:
                course["offered_by"] = offered_by
            if category:
                course["category"] = category
            if level:
                course["level"] = level
            if tags is not None and tags != "[]":
                tags = tags_cache.get(tags) or _engine_tags(tags)
                if tags:
                    course["tags"] = tags
            if delivery != "in-person":
                course["delivery"] = delivery
            if transfer:
                course["transfer"] = True
            documents.append(course)
    activities: dict[int, list[dict[str, Any]]] = {}
    activities_query = Activity.objects.annotate(hours_float=Cast("hours", FloatField()))
    activity_rows = _raw_rows(activities_query.order_by(*_ORDER).values_list(*_ENGINE_ACTIVITY_FIELDS), ids)
    for student_id, rows in _by_student(activity_rows).items():
        documents = activities[student_id] = []
        for _, term, pk, item, hours, title, unit, date, passed in rows:
            activity = {
                "item": item,
                "hours": numbers.get(hours) or _engine_number(hours),
                "term": terms.get(term) or _engine_term(term),
                "title": title,
                "id": f"activity-{pk}",
            }
            if unit:
                activity["unit"] = unit
            if date is not None:
                activity["date"] = date if isinstance(date, str) else date.isoformat()
            if not passed:
                activity["passed"] = False
            documents.append(activity)
    certificates: dict[int, list[dict[str, Any]]] = {}
    certificate_query = Certificate.objects.order_by(*_ORDER).values_list(*_ENGINE_CERTIFICATE_FIELDS)
    for student_id, rows in _by_student(_raw_rows(certificate_query, ids)).items():
        documents = certificates[student_id] = []
        for _, term, pk, code, title, level in rows:
            certificate = {
                "code": code,
                "title": title,
                "term": terms.get(term) or _engine_term(term),
                "id": f"certificate-{pk}",
            }
            if level:
                certificate["level"] = level
            documents.append(certificate)
    inputs = []
    for row in students:
        pk, student_id, institution_id, institution, department, division, degree, admission_term, *rest = row
        admitted_into_year, name, class_code, flags, standing = rest
        document: dict[str, Any] = {
            "schema": "menkan.student/1",
            "student_id": student_id,
            "institution": institution,
            "department": department,
            "division": division,
            "degree": degree,
            "admission_term": terms.get(admission_term) or _engine_term(admission_term),
            "admitted_into_year": admitted_into_year,
            "courses": courses.get(pk, []),
            "activities": activities.get(pk, []),
            "certificates": certificates.get(pk, []),
        }
        if name:
            document["name"] = name
        if class_code is not None:
            document["class_code"] = class_code
        flags = _engine_json(flags)
        if flags:
            document["flags"] = flags
        document.update(_engine_json(standing) or {})
        inputs.append(EngineInput(pk, student_id, institution_id, document))
    return inputs


def engine_students(students: Iterable[Student]) -> Iterator[tuple[Student, EngineStudent]]:
    """Students ready for the engine (validated as any other input)."""
    batch = list(students)
    inputs = {item.pk: item for item in engine_inputs(student.pk for student in batch)}
    for student in batch:
        yield student, inputs[student.pk].record()


# --------------------------------------------------------------------------------------------------- who writes records

RecordKind = Literal["student", "course", "activity", "certificate"]


def _workflows(institution: Institution) -> Workflows:
    """The workflow settings of the institution's current policy (none set when it has no policy)."""
    from menkan.web.audits.services import policy_current, policy_set_of

    version = policy_current(institution)
    return policy_set_of(version).institution.workflows if version is not None else Workflows()


def item_owners(institution: Institution) -> dict[str, str]:
    """Which office owns which item of the institution's records, as its current policy says: the self-learning
    owners (`workflows.self_learning.owners`, the `certificates_item`'s office registering certificates) and the
    micro-credit courses' unit (`workflows.micro_credits.owner`). An item nobody owns is the registrar's alone."""
    workflows = _workflows(institution)
    owners: dict[str, str] = {}
    for owner in workflows.self_learning.owners if workflows.self_learning is not None else ():
        owners.setdefault(owner.item, owner.office)
    if workflows.micro_credits is not None:
        owners.setdefault(workflows.micro_credits.item, workflows.micro_credits.owner.unit)
    return owners


def _certificates_item(institution: Institution) -> str | None:
    settings = _workflows(institution).self_learning
    return settings.certificates_item if settings is not None else None


def record_owner(institution: Institution, kind: RecordKind, ref: str = "") -> str | None:
    """The office owning a record: an activity's item (`ref`), the certificates' office for a certificate (any code);
    None for students, course records and unowned items (the registrar's)."""
    owners = item_owners(institution)
    if kind == "activity":
        return owners.get(ref) if ref != _certificates_item(institution) else None
    if kind == "certificate":
        item = _certificates_item(institution)
        return owners.get(item) if item is not None else None
    return None


@dataclass(frozen=True)
class RecordWriter:
    """Who writes records of one institution: its registrar (everything), or staff of `units` (their items)."""

    registrar: bool
    units: frozenset[str]


def record_writer(user: User, institution: Institution) -> RecordWriter | None:
    """The registrar (or a superuser), unit staff with their units, or None for anybody else."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return RecordWriter(True, frozenset())
    assignments = RoleAssignment.objects.filter(user=user, institution=institution)
    if assignments.filter(role=Role.REGISTRAR).exists():
        return RecordWriter(True, frozenset())
    units = frozenset(u for u in assignments.filter(role=Role.UNIT_STAFF).values_list("unit", flat=True) if u)
    return RecordWriter(False, units) if units else None


@dataclass(frozen=True)
class WritePermission:
    """Whether a user may write one kind of record; `owner` is the office owning it (the unit it is registered
    for), `reason` says why not, in the user's language."""

    allowed: bool
    owner: str | None
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed

    def require(self) -> None:
        """PermissionDenied (403) with the reason unless allowed."""
        if not self.allowed:
            raise PermissionDenied(self.reason)


def _record_label(kind: RecordKind, ref: str) -> str:
    if kind == "activity":
        return gettext("hours of %(item)s") % {"item": ref}
    if kind == "certificate":
        return gettext("certificate %(code)s") % {"code": ref} if ref else gettext("certificates")
    if kind == "course":
        return gettext("course records and grades")
    return gettext("student records")


def record_write_permission(
    user: User, institution: Institution, kind: RecordKind, ref: str = "", *, student: Student | None = None
) -> WritePermission:
    """May `user` write this record (activity hours of item `ref`, certificate `ref`, a course record or grade, a
    student) for a student of `institution`? The one rule every page, import and API endpoint that writes hours,
    certificates or grades asks: the registrar of the institution writes everything; unit staff only the records of
    items their unit owns (`item_owners`: the policy says who owns what); nobody else anything."""
    owner = record_owner(institution, kind, ref)
    what = _record_label(kind, ref)
    if student is not None and student.institution_id != institution.pk:
        reason = gettext("%(id)s is not a student of %(institution)s") % {
            "id": student.student_id,
            "institution": institution.code,
        }
        return WritePermission(False, owner, reason)
    writer = record_writer(user, institution)
    if writer is not None and writer.registrar:
        return WritePermission(True, owner)
    if writer is not None and owner is not None and owner in writer.units:
        return WritePermission(True, owner)
    if writer is None:
        reason = gettext("you may not register records of %(institution)s") % {"institution": institution.code}
    elif owner is None:
        reason = gettext("only the registrar of %(institution)s registers %(what)s") % {
            "institution": institution.code,
            "what": what,
        }
    else:
        reason = gettext(
            "%(what)s: the item is %(owner)s's; only its staff or the registrar register it (you: %(units)s)"
        ) % {
            "what": what,
            "owner": owner,
            "units": "、".join(sorted(writer.units)),
        }
    return WritePermission(False, owner, reason)


def student_study_record(student: Student) -> EngineStudent | None:
    """What the engine's study year needs of the student (admission, year admitted into, enrollment), validated;
    None when the stored values do not validate (the audit reports why)."""
    standing = _engine_json(student.standing) or {}
    record = {
        "schema": "menkan.student/1",
        "student_id": student.student_id or "?",
        "institution": "?",
        "department": "?",
        "admission_term": student.admission_term,
        "admitted_into_year": student.admitted_into_year,
        "enrollment": standing.get("enrollment", []) if isinstance(standing, dict) else [],
    }
    try:
        return student_from_dict(record)
    except InputError:
        return None


def student_study_year(student: Student, term: Term) -> int | None:
    """The student's study year (年級) in `term` by the engine's one definition (`menkan.engine.study_year`:
    enrolled semesters from the admission, leave not counted); None when the stored record does not validate."""
    record = student_study_record(student)
    return study_year(record, term) if record is not None else None
