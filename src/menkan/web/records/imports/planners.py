"""The planners: each validates every row of one kind and works out what it would change."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from menkan.web.records.codec import activity_fragment, certificate_fragment, course_fragment, student_head
from menkan.web.records.imports.layouts import DELIVERIES, LEVELS, TRANSFER_WORDS, WITHDRAWN_WORDS, header_key
from menkan.web.records.imports.planning import (
    Change,
    Row,
    Run,
    change_plan,
    fragment_document,
    row_permitted,
    row_student,
    row_term,
    row_unit,
    students_of,
)
from menkan.web.records.imports.values import (
    BadValue,
    category_value,
    choice,
    date_value,
    decimal_value,
    degree_value,
    division_value,
    flag,
    limited,
    nfkc,
    parse_term,
    required,
    tag_list,
    year_of_study,
)
from menkan.web.records.models import (
    Activity,
    Certificate,
    CourseRecord,
    Department,
    Institution,
    RecordException,
    SchoolClass,
    Student,
)
from menkan.web.records.services import EXCEPTION_FIELDS, ExceptionRefused, exception_problems_of, exception_row


def _file_permitted(run: Run) -> bool:
    """Students and course records are the registrar's whatever the row: asked once, refused for the whole file."""
    permission = run.permission()
    if not permission:
        run.problem(0, "", permission.reason)
    return permission.allowed


# The student's own fields a row of the students' import fills (its records are other imports').
_STUDENT_FIELDS = frozenset(("student_id", "name", "department", "class_code", "division", "degree"))
_STUDENT_FIELDS |= {"admission_term", "admitted_into_year"}


def _plan_students(run: Run) -> None:
    if not _file_permitted(run):
        return
    institution = run.institution
    # A department by its code, or by a name no other department of the institution bears.
    listed = list(Department.objects.filter(institution=institution))
    named: dict[str, list[Department]] = {}
    for department in listed:
        for name in {header_key(department.name_zh), header_key(department.name_en)} - {""}:
            named.setdefault(name, []).append(department)
    departments = {name: found[0] for name, found in named.items() if len(found) == 1}
    departments.update({header_key(department.code): department for department in listed})
    students = students_of(run)
    for number, cells in run.table.rows:
        row = Row(run, number, cells)
        student_id = row.get("student_id", lambda text: limited(required(text), Student, "student_id"))
        fields: dict[str, Any] = {}
        if row.has("name"):
            fields["name"] = row.get("name", lambda text: limited(text, Student, "name"))
        department_text = row.get("department", required)
        department = departments.get(header_key(department_text)) if department_text else None
        if department_text and department is None:
            row.fail(
                "department",
                _("no department '%(value)s' in %(institution)s (give its code)")
                % {"value": department_text, "institution": institution.code},
            )
        fields["department"] = department
        if row.has("class_code"):
            fields["class_code"] = row.get("class_code", lambda text: limited(text, SchoolClass, "code"))
        if row.has("division"):
            fields["division"] = row.get("division", division_value)
        if row.has("degree"):
            fields["degree"] = row.get("degree", lambda text: degree_value(text))
        fields["admission_term"] = row.get("admission_term", lambda text: parse_term(required(text)))
        if row.has("admitted_into_year"):
            fields["admitted_into_year"] = row.get("admitted_into_year", year_of_study)
        head = student_head(
            student_id,
            institution.code,
            department.code if department is not None else "",  # none: the column was found wrong
            fields.get("division") or "day-bachelor",
            fields.get("degree") or "bachelor",
            fields["admission_term"],
            fields.get("admitted_into_year", 1),
            fields.get("name") or "",
            fields.get("class_code") or None,
            None,
            None,
        )
        row.check("", {name: value for name, value in head.items() if name in _STUDENT_FIELDS})
        if (
            student_id
            and not row.bad
            and row.duplicate((student_id,), "student_id", _("the same student as row %(row)s"))
        ):
            continue
        if row.bad or student_id is None:
            continue
        existing = students.get(student_id)
        if existing is None:
            run.changes.append(
                Change(number, Student, {"institution": institution, "student_id": student_id}, fields, None, True)
            )
            continue
        changed = any(
            (existing.school_class.code if existing.school_class else "") != value
            if name == "class_code"
            else getattr(existing, name) != value
            for name, value in fields.items()
        )
        run.changes.append(Change(number, Student, {}, fields, existing, changed))


def _grading(institution: Institution) -> Any | None:
    """The grading of the institution's current policy (None without one: then no grade is refused)."""
    from menkan.web.records.hooks import policy_set_current

    policy_set = policy_set_current(institution)
    return policy_set.institution.grading if policy_set is not None else None


def _grade_help(grading: Any | None) -> str:
    """What the institution's scale accepts, said after the engine's reason for a grade it cannot read."""
    if grading is None:
        return ""
    marks = "/".join([*grading.pass_marks[:1], *grading.fail_marks[:1], *grading.withdrawn_marks[:1]])
    letters = "、".join(letter.letter for letter in grading.letters)
    if letters:
        return str(
            _("a score 0–100, a letter (%(letters)s), %(marks)s or empty") % {"letters": letters, "marks": marks}
        )
    return str(_("a score 0–100, %(marks)s or empty") % {"marks": marks})


def _plan_courses(run: Run) -> None:
    if not _file_permitted(run):
        return
    grading = _grading(run.institution)
    withdrawn = grading.withdrawn_marks[0] if grading is not None and grading.withdrawn_marks else "W"
    passed = grading.pass_marks[0] if grading is not None and grading.pass_marks else "P"
    students = students_of(run)
    existing = {
        (c.student_id, c.code, c.term): c for c in CourseRecord.objects.filter(student__in=list(students.values()))
    }
    readable: dict[str, bool] = {}

    def is_grade(value: str) -> bool:
        if value not in readable:
            course = {"code": "-", "title": "-", "credits": 0, "term": "100-1", "grade": value}
            readable[value] = not run.validate(fragment_document("courses", course))
        return readable[value]

    def grade(text: str) -> tuple[str | None, bool]:
        """The SIS's spellings of a grade as the scale writes it (抵免, 停修, 85.0, a lower-case letter); whether
        the grade is read is the engine's to say (see `Row.check`)."""
        value = nfkc(text)
        if not value:
            return None, False
        if value in TRANSFER_WORDS:
            return passed, True
        if value in WITHDRAWN_WORDS:
            return withdrawn, False
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            value = format(number.normalize() + 0, "f")
        for candidate in (value, value.upper()):
            if is_grade(candidate):
                return limited(candidate, CourseRecord, "grade"), False
        return value, False  # not a grade: the row's check says so, in the engine's words

    help_text = _grade_help(grading)
    for number, cells in run.table.rows:
        row = Row(run, number, cells)
        student = row_student(row, students)
        term = row_term(row)
        code = row.get("code", lambda text: limited(required(text), CourseRecord, "code"))
        fields: dict[str, Any] = {
            "title": row.get("title", lambda text: limited(required(text), CourseRecord, "title")),
            "credits": row.get(
                "credits", lambda text: decimal_value(required(text), _("the credits"), places=1, limit=10000)
            ),
        }
        if row.has("offered_by"):
            fields["offered_by"] = row.get("offered_by", lambda text: limited(text, CourseRecord, "offered_by"))
        if row.has("grade"):
            fields["grade"], transferred = row.get("grade", grade) or (None, False)
            if transferred:
                fields["transfer"] = True
        if row.has("category") and row.raw("category"):
            fields["category"] = row.get("category", category_value)
        elif row.has("kind"):
            fields["category"] = row.get("kind", category_value)
        elif row.has("category"):
            fields["category"] = ""
        if "category" in fields and fields["category"] is not None:
            try:
                limited(fields["category"], CourseRecord, "category")
            except BadValue as exc:
                row.fail("category" if row.has("category") else "kind", str(exc))
        if row.has("delivery"):
            fields["delivery"] = row.get("delivery", lambda text: choice(text, DELIVERIES, _("delivery (遠距 / 實體)")))
        if row.has("tags"):
            fields["tags"] = row.get("tags", tag_list)
        if row.has("transfer") and "transfer" not in fields:
            fields["transfer"] = row.get("transfer", flag)
        if row.has("level"):
            fields["level"] = row.get(
                "level", lambda text: choice(text, LEVELS, _("course level (undergraduate / graduate)"))
            )
        fragment = course_fragment(
            code,
            fields["title"],
            fields["credits"],
            term,
            fields.get("grade"),
            fields.get("offered_by") or "",
            fields.get("category") or "",
            fields.get("tags") or [],
            fields.get("delivery") or "in-person",
            bool(fields.get("transfer")),
            fields.get("level") or "",
        )
        row.check(
            "courses",
            fragment,
            columns={"category": "category" if row.has("category") else "kind"},
            hints={"not-a-grade": help_text},
        )
        if row.bad or student is None:
            continue
        if row.duplicate((student.pk, code, term), "code", _("the same course in the same term as row %(row)s")):
            continue
        change_plan(
            row,
            CourseRecord,
            {"student": student, "code": code, "term": term},
            fields,
            existing.get((student.pk, code, term)),
        )


def _plan_activities(run: Run) -> None:
    students = students_of(run)
    existing: dict[tuple[Any, ...], Activity] = {
        (a.student_id, a.item, a.title, a.term, a.date): a
        for a in Activity.objects.filter(student__in=list(students.values()))
    }
    for number, cells in run.table.rows:
        row = Row(run, number, cells)
        student = row_student(row, students)
        item = row.get("item", lambda text: limited(required(text), Activity, "item"))
        permission = row_permitted(row, "item", item)
        title = row.get("title", lambda text: limited(required(text), Activity, "title"))
        term = row_term(row)
        date = row.get("date", date_value)
        fields: dict[str, Any] = {
            "hours": row.get(
                "hours", lambda text: decimal_value(required(text), _("the hours"), places=1, limit=100000)
            )
        }
        if row.has("passed"):
            fields["passed"] = row.get("passed", lambda text: flag(text) if text else True)
        fragment = activity_fragment(0, item, fields["hours"], term, title, "", date, fields.get("passed") is not False)
        row.check("activities", fragment)
        if row.bad or student is None or permission is None:
            continue
        key = (student.pk, item, title, term, date)
        current = existing.get(key)
        unit = row_unit(row, current, permission.owner)
        if row.bad:
            continue
        if unit is not None:
            fields["unit"] = unit
        if row.duplicate(key, "title", _("the same activity (student, item, title, term and date) as row %(row)s")):
            continue
        change_plan(
            row,
            Activity,
            {"student": student, "item": item, "title": title, "term": term, "date": date},
            fields,
            current,
        )


def _plan_certificates(run: Run) -> None:
    students = students_of(run)
    existing = {
        (c.student_id, c.code, c.term): c for c in Certificate.objects.filter(student__in=list(students.values()))
    }
    for number, cells in run.table.rows:
        row = Row(run, number, cells)
        student = row_student(row, students)
        code = row.get("code", lambda text: limited(required(text), Certificate, "code"))
        permission = row_permitted(row, "code", code)
        term = row_term(row)
        fields: dict[str, Any] = {"title": row.get("title", lambda text: limited(required(text), Certificate, "title"))}
        if row.has("level"):
            fields["level"] = row.get("level", lambda text: limited(text, Certificate, "level"))
        row.check("certificates", certificate_fragment(0, code, fields["title"], term, fields.get("level") or ""))
        if row.bad or student is None or permission is None:
            continue
        key = (student.pk, code, term)
        current = existing.get(key)
        unit = row_unit(row, current, permission.owner)
        if row.bad:
            continue
        if unit is not None:
            fields["unit"] = unit
        if row.duplicate(key, "code", _("the same certificate in the same term as row %(row)s")):
            continue
        change_plan(row, Certificate, {"student": student, "code": code, "term": term}, fields, current)


# An exception's natural key: the same student, kind, requirement, course, replaced course and `as` is the same one.
_EXCEPTION_KEY = ("kind", "requirement", "course", "replaces", "recognised_as")


def _plan_exceptions(run: Run) -> None:
    """Approved exceptions (the registrar's import of decisions made): each row validated as the portal validates a
    proposal (the record with it, its requirement and course), a row equal to an exception in force is unchanged,
    one equal to a proposal approves it."""
    students = students_of(run)
    in_force = (RecordException.Status.PROPOSED, RecordException.Status.APPROVED)
    existing = {
        (e.student_id, *(getattr(e, name) for name in _EXCEPTION_KEY)): e
        for e in RecordException.objects.filter(student__in=list(students.values()), status__in=in_force)
    }
    for number, cells in run.table.rows:
        row = Row(run, number, cells)
        student = row_student(row, students)
        if student is None:
            continue
        try:
            fields = exception_row({name: row.raw(name) for name in EXCEPTION_FIELDS if row.has(name)})
        except ExceptionRefused as refused:
            for name, reason in refused.problems:
                row.fail(name, reason)
            continue
        for name, reason in exception_problems_of(student, fields):
            row.fail(name if name in EXCEPTION_FIELDS else "requirement", reason)
        if row.bad:
            continue
        key = (student.pk, *(fields[name] for name in _EXCEPTION_KEY))
        if row.duplicate(key, "requirement", _("the same exception as row %(row)s")):
            continue
        current = existing.get(key)
        compared = {name: value for name, value in fields.items() if name not in _EXCEPTION_KEY}
        compared["status"] = RecordException.Status.APPROVED
        changed = current is None or any(getattr(current, name) != value for name, value in compared.items())
        decision = {"decided_by": run.user, "decided_at": timezone.now()} if changed else {}
        if current is None:
            decision["proposed_by"] = run.user
        identity = {"student": student, **{name: fields[name] for name in _EXCEPTION_KEY}}
        run.changes.append(Change(row.number, RecordException, identity, {**compared, **decision}, current, changed))


PLANNERS: dict[str, Callable[[Run], None]] = {
    "students": _plan_students,
    "courses": _plan_courses,
    "activities": _plan_activities,
    "certificates": _plan_certificates,
    "exceptions": _plan_exceptions,
}
