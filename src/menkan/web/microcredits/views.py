"""Micro-credit pages: offerings and sign-up, sessions and attendance, grading, the student's page, the
certification form, the offset application (PDF) and the Center's reviews (thin: services do the work)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from menkan.web.audits.api import audit_document, audit_refresh_if_stale
from menkan.web.microcredits import selectors as sel
from menkan.web.microcredits import services
from menkan.web.microcredits.models import Ban, Review, Session
from menkan.web.microcredits.services import MicroCreditError
from menkan.web.records.api import Institution, student_get_for


def _attempt(request: HttpRequest, action: Callable[[], object], done: str = "", prefix: str = "") -> bool:
    """Run a service; its refusal (MicroCreditError) becomes an error message, success the `done` message."""
    try:
        action()
    except MicroCreditError as exc:
        messages.error(request, f"{prefix}{exc}")
        return False
    if done:
        messages.success(request, done)
    return True


def _areas(institution: Institution) -> dict[str, dict[str, str]]:
    config = sel.micro_settings(institution)
    return {a.id: a.name.as_dict() for a in config.modules.areas} if config is not None else {}


def _no_show_text(institution: Institution) -> dict[str, str] | None:
    config = sel.micro_settings(institution)
    return config.no_show.text.as_dict() if config is not None and config.no_show is not None else None


@login_required
def offering_list(request: HttpRequest) -> HttpResponse:
    """Offerings of the user's institution (students) or of the institutions the user runs (Center staff)."""
    ids = sel.center_institution_ids(request.user)
    staff_of = [i for i in Institution.objects.filter(pk__in=ids).order_by("code") if sel.micro_settings(i) is not None]
    offerings = sel.offerings_visible_to(request.user).prefetch_related("sessions")
    return render(
        request,
        "microcredits/offering_list.html",
        {"offerings": offerings, "staff_of": staff_of, "me": sel.student_of(request.user)},
    )


@login_required
def offering_create(request: HttpRequest, institution: str) -> HttpResponse:
    place = get_object_or_404(Institution, code=institution)
    if not sel.is_center_staff(request.user, place.pk):
        raise PermissionDenied("only the Center for the Liberal Arts")
    context: dict[str, object] = {
        "institution": place,
        "areas": _areas(place),
        "term": sel.term_current(place),
        "offered": sel.micro_settings(place) is not None,
    }
    if request.method == "POST":
        try:
            hours = Decimal(request.POST.get("hours", ""))
            seats_text = request.POST.get("seats", "").strip()
            offering = services.offering_create(
                place,
                term=request.POST.get("term", "").strip(),
                title=request.POST.get("title", ""),
                hours=hours,
                area=request.POST.get("area", ""),
                seats=int(seats_text) if seats_text else None,
            )
            return redirect("microcredits:offering-detail", pk=offering.pk)
        except (MicroCreditError, InvalidOperation, ValueError) as exc:
            context["error"] = str(exc) or _("Check the form.")
    return render(request, "microcredits/offering_create.html", context)


@login_required
def offering_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The course, its sessions; for a student the sign-up form, for Center staff the roster and sessions."""
    offering = sel.offering_get_for(request.user, pk)
    staff = sel.is_center_staff(request.user, offering.institution_id)
    me = sel.student_of(request.user)
    context: dict[str, object] = {
        "offering": offering,
        "sessions": offering.sessions.all(),
        "staff": staff,
        "area": _areas(offering.institution).get(offering.area),
        "mine": offering.enrollments.filter(student=me).first() if me else None,
        "ban": sel.bans_active(me, offering.term).first() if me else None,
        "no_show": _no_show_text(offering.institution),
    }
    if staff:
        enrollments = list(
            offering.enrollments.select_related("student").prefetch_related("attendance__session").order_by("pk")
        )
        context["roster"] = [(e, e.hours_attended(), services.completion_problems(e)) for e in enrollments]
    return render(request, "microcredits/offering_detail.html", context)


@login_required
@require_POST
def offering_signup(request: HttpRequest, pk: int) -> HttpResponse:
    offering = sel.offering_get_for(request.user, pk)
    me = sel.student_of(request.user)
    if me is None or me.institution_id != offering.institution_id:
        raise PermissionDenied("students of the institution only")
    chosen = [int(v) for v in request.POST.getlist("session") if v.isdigit()]
    _attempt(request, lambda: services.enrollment_create(offering, me, chosen), _("You are signed up."))
    return redirect("microcredits:offering-detail", pk=offering.pk)


@login_required
@require_POST
def session_create(request: HttpRequest, pk: int) -> HttpResponse:
    offering = sel.offering_get_for_staff(request.user, pk)
    try:
        services.session_create(
            offering,
            day=datetime.date.fromisoformat(request.POST.get("date", "")),
            starts=datetime.time.fromisoformat(request.POST.get("starts", "")),
            ends=datetime.time.fromisoformat(request.POST.get("ends", "")),
            hours=Decimal(request.POST.get("hours", "")),
        )
    except (ValueError, InvalidOperation):
        messages.error(request, _("Check the date, times and hours of the session."))
    return redirect("microcredits:offering-detail", pk=offering.pk)


@login_required
def session_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff: enter or scan student ids to sign them in or out; close the session (absences → no-show bans)."""
    session = sel.session_get_for_staff(request.user, pk)
    if request.method == "POST":
        if request.POST.get("close"):
            bans = services.session_close(session, request.user)
            messages.info(request, _("Attendance closed; %(n)s no-show ban(s) recorded.") % {"n": len(bans)})
        else:
            action = "out" if request.POST.get("action") == "out" else "in"
            marked, problems = services.attendance_enter(session, request.POST.get("ids", ""), action, request.user)
            messages.info(request, _("%(n)s marked.") % {"n": marked})
            for problem in problems:
                messages.error(request, problem)
        return redirect("microcredits:session-attendance", pk=session.pk)
    marks = {m.enrollment_id: m for m in session.attendance.all()}
    rows = [(e, marks.get(e.pk)) for e in session.offering.enrollments.select_related("student").order_by("pk")]
    return render(request, "microcredits/session_attendance.html", {"session": session, "rows": rows})


@login_required
@require_POST
def session_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """A student checks in or out with the session's code."""
    me = sel.student_of(request.user)
    session = get_object_or_404(Session.objects.select_related("offering"), pk=pk)
    if me is None or me.institution_id != session.offering.institution_id:
        raise PermissionDenied("students of the institution only")
    action = "out" if request.POST.get("action") == "out" else "in"
    code = request.POST.get("code", "")
    done = _("Signed out.") if action == "out" else _("Signed in.")
    _attempt(request, lambda: services.attendance_check_in(session, me, code, action), done)
    return redirect("microcredits:offering-detail", pk=session.offering_id)


@login_required
@require_POST
def work_submit(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = sel.enrollment_get_own(request.user, pk)
    upload = request.FILES.get("work")
    if upload is None:
        messages.error(request, _("Choose the file of your work or worksheet."))
    else:
        _attempt(request, lambda: services.work_submit(enrollment, upload), _("Work handed in."))
    return redirect("microcredits:offering-detail", pk=enrollment.offering_id)


@login_required
def work_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The handed-in work, as a download (never shown inline): for the student and the Center staff only."""
    enrollment = sel.work_get_for(request.user, pk)
    name = enrollment.work.name.rsplit("/", 1)[-1]
    return FileResponse(enrollment.work.open("rb"), as_attachment=True, filename=name)


@login_required
@require_POST
def enrollment_grade(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = sel.enrollment_get_for_staff(request.user, pk)
    result = request.POST.get("result", "")
    _attempt(
        request,
        lambda: services.enrollment_grade(enrollment, result, request.user),
        prefix=f"{enrollment.student.student_id}: ",
    )
    return redirect("microcredits:offering-detail", pk=enrollment.offering_id)


@login_required
def student_page(request: HttpRequest, institution: str, student_id: str) -> HttpResponse:
    """A student's micro-credits: courses and hours, a no-show ban, the ge-micro-credits requirement of the audit
    (hours counted, ignored and why, credits), certifications and offset applications."""
    student = student_get_for(request.user, institution, student_id)
    audit_refresh_if_stale(student)
    audit = audit_document(student)
    config = sel.micro_settings(student.institution)
    nodes = sel.requirement_nodes(audit) if config is not None else {}
    enrollments = [(e, e.hours_attended()) for e in sel.enrollments_of(student)]
    return render(
        request,
        "microcredits/student.html",
        {
            "student": student,
            "offered": config is not None,
            "node": nodes.get(config.requirement) if config is not None else None,
            "imported_node": nodes.get(config.certification.requirement or "") if config is not None else None,
            "enrollments": enrollments,
            "bans": Ban.objects.filter(student=student).select_related("lifted_by"),
            "certifications": student.micro_certifications.prefetch_related("lines", "imported"),
            "offsets": student.micro_offsets.all(),
            "offset_conditions": sel.offset_conditions(audit),
            "is_self": sel.student_of(request.user) == student,
        },
    )


@login_required
def certification_file(request: HttpRequest, institution: str, student_id: str) -> HttpResponse:
    """The student files the certification form, pre-filled with their passed micro-credit courses."""
    student = sel.own_student_get(request.user, institution, student_id)
    context: dict[str, object] = {
        "student": student,
        "activities": sel.micro_activities(student),
        "term": sel.term_current(student.institution),
        "offered": sel.micro_settings(student.institution) is not None,
    }
    if request.method == "POST":
        try:
            services.certification_file(
                student,
                str(context["term"]),
                [int(v) for v in request.POST.getlist("activity") if v.isdigit()],
                bool(request.POST.get("declare")),
            )
            messages.success(request, _("Certification form filed."))
            return redirect("microcredits:student", institution=institution, student_id=student_id)
        except MicroCreditError as exc:
            context["error"] = str(exc)
    return render(request, "microcredits/certification_file.html", context)


@login_required
def offset_file(request: HttpRequest, institution: str, student_id: str) -> HttpResponse:
    """The student applies to offset gen-ed credits with their 2 micro-credits."""
    student = sel.own_student_get(request.user, institution, student_id)
    context: dict[str, object] = {
        "student": student,
        "categories": services.offset_categories(student.institution),
        "on_record": sel.micro_credits_on_record(student),
        "term": sel.term_current(student.institution),
    }
    if request.method == "POST":
        try:
            application = services.offset_file(
                student,
                str(context["term"]),
                request.POST.get("category", ""),
                int(request.POST.get("credits", "2") or 2),
            )
            messages.success(request, _("Offset application filed: print the form and its transcript."))
            return redirect("microcredits:offset-pdf", pk=application.pk)
        except (MicroCreditError, ValueError) as exc:
            context["error"] = str(exc)
    return render(request, "microcredits/offset_file.html", context)


@login_required
def offset_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The Credit Transfer Application Form with the student's transcript attached (WeasyPrint)."""
    from weasyprint import HTML

    application = sel.offset_get_for(request.user, pk)
    student = application.student
    names = {c["tag"]: c["name"] for c in services.offset_categories(student.institution)}
    form_name = services.offset_form_name(student.institution)
    html = render_to_string(
        "microcredits/offset_pdf.html",
        {
            "form_name": form_name,
            "form_name_zh": form_name.get("zh-TW", ""),
            "application": application,
            "student": student,
            "category": names.get(application.category, {}),
            "courses": student.courses.order_by("term", "code"),
            "micro": sel.micro_activities(student),
            "printed": timezone.now(),
        },
        request=request,
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="offset-{student.student_id}.pdf"'
    return response


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    """Center staff: certification forms and offset applications to review, and the no-show bans."""
    if not sel.center_institution_ids(request.user):
        raise PermissionDenied("only the Center for the Liberal Arts")
    certifications, offsets = sel.pending_reviews(request.user)
    problems = {c.pk: services.certification_credits(c)[1] for c in certifications}
    return render(
        request,
        "microcredits/review_list.html",
        {
            "certifications": [(c, problems[c.pk]) for c in certifications],
            "offsets": [(o, services.offset_problems(o.student)) for o in offsets],
            "done": sel.certifications_for_staff(request.user).exclude(status=Review.SUBMITTED)[:50],
            "bans": sel.bans_for_staff(request.user)[:200],
        },
    )


@login_required
@require_POST
def certification_review(request: HttpRequest, pk: int) -> HttpResponse:
    certification = sel.certification_get_for_staff(request.user, pk)
    try:
        if request.POST.get("decision") == "approve":
            done = services.certification_approve(
                certification,
                request.user,
                exception=bool(request.POST.get("exception")),
                exception_reason=request.POST.get("exception_reason", ""),
            )
            if done.status == Review.REFUSED:
                messages.error(request, _("Refused: %(reason)s") % {"reason": done.reason})
        else:
            services.certification_refuse(certification, request.user, request.POST.get("reason", ""))
    except MicroCreditError as exc:
        messages.error(request, str(exc))
    return redirect("microcredits:review-list")


@login_required
@require_POST
def offset_review(request: HttpRequest, pk: int) -> HttpResponse:
    application = sel.offset_get_for_staff(request.user, pk)
    if request.POST.get("decision") == "approve":
        _attempt(request, lambda: services.offset_approve(application, request.user))
    else:
        _attempt(request, lambda: services.offset_refuse(application, request.user, request.POST.get("reason", "")))
    return redirect("microcredits:review-list")


@login_required
@require_POST
def ban_lift(request: HttpRequest, pk: int) -> HttpResponse:
    ban = sel.ban_get_for_staff(request.user, pk)
    _attempt(request, lambda: services.ban_lift(ban, request.user, request.POST.get("reason", "")))
    return redirect("microcredits:review-list")
