"""Micro-program pages: catalogue, a student's programs (registration, progress, applications), applications with
their review steps, reviewers' queues, the term calendar, the certificate PDF and its public verification."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from menkan.engine import Term
from menkan.web.accounts.api import institutions_of, registrar_institutions
from menkan.web.programs import selectors, services
from menkan.web.programs.models import Application
from menkan.web.records.api import Department, Institution, Student, calendar, student_get_for


def _offered(institution: Institution) -> Institution:
    """The institution, if it runs micro-programs: an institution without them has no program pages (404)."""
    if not selectors.institution_has_programs(institution):
        raise Http404("the institution has no micro-programs")
    return institution


def _institution_for(request: HttpRequest) -> Institution:
    """The institution whose programs to show: the user's own (student, else the first of their roles' that runs
    micro-programs); 404 when none of theirs does."""
    student = getattr(request.user, "student", None)
    if student is not None:
        return _offered(student.institution)
    for institution in institutions_of(request.user):
        if selectors.institution_has_programs(institution):
            return institution
    raise Http404("none of your institutions has micro-programs")


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    institution = _institution_for(request)
    programs = list(selectors.programs_of(institution).values())
    return render(request, "programs/catalogue.html", {"institution": institution, "programs": programs})


@login_required
def program_detail(request: HttpRequest, code: str) -> HttpResponse:
    institution = _institution_for(request)
    program = selectors.program_get(institution, code)
    if program is None:
        raise Http404("no such program")
    names = dict(Department.objects.filter(institution=institution).values_list("code", "name_zh"))
    eligibility = getattr(program.node, "eligibility", None)

    def named(codes: list[str] | None) -> list[str]:
        return [f"{names.get(code, code)} ({code})" for code in codes or []]

    context = {
        "institution": institution,
        "program": program,
        "steps": selectors.review_steps(institution),
        "open_to": named(eligibility.department if eligibility else None),
        "not_open_to": named(eligibility.department_not if eligibility else None),
    }
    return render(request, "programs/program_detail.html", context)


def _own(request: HttpRequest, student: Student) -> bool:
    return student.user_id is not None and student.user_id == request.user.pk


@login_required
def student_programs(request: HttpRequest, institution: str, student_id: str) -> HttpResponse:
    """The student's micro-programs: registrations, the window, applications, certificates, and progress on
    every program (what-if as if registered, ranked by what is left)."""
    student = student_get_for(request.user, institution, student_id)
    _offered(student.institution)
    today = calendar.today()
    report = selectors.student_progress(student)
    window = selectors.window_open(student.institution, today)
    deadline = selectors.registration_deadline(student)
    late = window is not None and deadline is not None and deadline.passed(Term.parse(window.term), today)
    allowed = set(selectors.exceptions_open_of(student))
    registrations = selectors.registrations_of(student)
    applications = Application.objects.filter(student=student).select_related("certificate").order_by("-pk")
    context = {
        "student": student,
        "own": _own(request, student),
        "registrations": registrations,
        "live": {r.program for r in registrations if r.active},
        "applications": applications,
        "open_programs": {a.program for a in applications if a.state != Application.State.REJECTED},
        "window": window,
        "next_window": selectors.window_next(student.institution, today),
        "deadline": deadline,
        "late": late,
        "allowed": allowed,
        # the register buttons only when registering can succeed (the service checks again)
        "can_register": window is not None and not late,
        "report": report,
    }
    return render(request, "programs/student_programs.html", context)


def _student_self(request: HttpRequest, institution: str, student_id: str) -> Student:
    """Only the student acts on their own registrations and applications (staff may look, not act)."""
    student = student_get_for(request.user, institution, student_id)
    if not _own(request, student):
        raise PermissionDenied("only the student registers and applies")
    _offered(student.institution)
    return student


def _back(student: Student) -> HttpResponse:
    return redirect("programs:student", institution=student.institution.code, student_id=student.student_id)


@login_required
@require_POST
def register(request: HttpRequest, institution: str, student_id: str) -> HttpResponse:
    student = _student_self(request, institution, student_id)
    program = request.POST.get("program", "").strip()
    try:
        registration = services.registration_create(student, program, user=request.user)
    except services.ProgramError as exc:
        messages.error(request, str(exc))
    else:
        done = {"code": program, "term": registration.registered_term}
        messages.success(request, _("Registered in %(code)s in %(term)s.") % done)
    return _back(student)


@login_required
@require_POST
def apply(request: HttpRequest, institution: str, student_id: str) -> HttpResponse:
    student = _student_self(request, institution, student_id)
    program = request.POST.get("program", "").strip()
    try:
        application = services.application_submit(student, program, user=request.user)
    except services.ProgramError as exc:
        messages.error(request, str(exc))
        return _back(student)
    messages.success(request, _("Your application has been filed; the program contact reviews it first."))
    return redirect("programs:application", pk=application.pk)


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for(request.user, pk)
    found = selectors.program_get(application.student.institution, application.program)
    node = selectors.program_nodes(application.audit).get(found.full_id if found else "")
    context = {
        "application": application,
        "program": found,
        "node": node,
        "events": application.events.select_related("actor", "application__student"),
        "may_decide": application.state == Application.State.REVIEW
        and selectors.may_review(request.user, application, application.step),
        "own": _own(request, application.student),
        "certificate": getattr(application, "certificate", None),
        "may_judge": application.state == Application.State.REVIEW
        and selectors.step_judges(application)
        and selectors.may_review(request.user, application, application.step),
        "judged_parts": selectors.program_parts(found) if found else [],
        "exceptions": selectors.program_exceptions(node),
    }
    return render(request, "programs/application.html", context)


@login_required
@require_POST
def judge(request: HttpRequest, pk: int) -> HttpResponse:
    """The reviewer at a judging step records a recognition or an exclusion of a course (an exception)."""
    application = selectors.application_get_for(request.user, pk)
    try:
        expected = int(request.POST.get("step", ""))
    except ValueError:
        expected = 0
    if not any(selectors.may_review(request.user, application, step) for step in {application.step, expected}):
        raise PermissionDenied(_("This step is not yours to decide."))
    fields = {name: request.POST.get(name, "") for name in ("kind", "requirement", "course", "as", "reason")}
    try:
        services.application_judgement_record(application.pk, user=request.user, expected_step=expected, fields=fields)
    except services.ProgramError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your judgement is recorded; the attached audit reflects it."))
    return redirect("programs:application", pk=application.pk)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for(request.user, pk)
    try:
        expected = int(request.POST.get("step", ""))
    except ValueError:
        expected = 0
    # someone who reviews neither the current step nor the one their form shows has no business here (403); a
    # reviewer whose form is stale is told the application moved on (the service checks under the row lock)
    if not any(selectors.may_review(request.user, application, step) for step in {application.step, expected}):
        raise PermissionDenied(_("This step is not yours to decide."))
    try:
        services.application_decide(
            application.pk,
            user=request.user,
            expected_step=expected,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
        )
    except services.ProgramError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your decision is recorded."))
    return redirect("programs:application", pk=application.pk)


@login_required
@require_POST
def resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for(request.user, pk)
    if not _own(request, application.student):
        raise PermissionDenied("only the student resubmits")
    try:
        services.application_resubmit(application, user=request.user)
    except services.ProgramError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Resubmitted: the review starts again at the program contact."))
    return redirect("programs:application", pk=application.pk)


@login_required
def exceptions(request: HttpRequest) -> HttpResponse:
    """Program staff (their programs) and the registrar: allow a student's late registration, with a reason;
    the list of exceptions granted (who, when, whether a registration used it)."""
    institution = _institution_for(request)
    codes = selectors.exception_programs(request.user, institution)
    if not codes:
        raise PermissionDenied("program staff or registrar only")
    if request.method == "POST":
        try:
            granted = services.registration_exception_grant(
                request.user,
                institution,
                request.POST.get("student_id", ""),
                request.POST.get("program", ""),
                request.POST.get("reason", ""),
            )
        except services.ProgramError as exc:
            messages.error(request, str(exc))
        else:
            done = {"id": granted.student.student_id, "code": granted.program}
            messages.success(request, _("Exception recorded: %(id)s may register in %(code)s.") % done)
            return redirect("programs:exceptions")
    context = {"codes": codes, "rows": selectors.exceptions_visible_to(request.user), "post": request.POST}
    return render(request, "programs/exceptions.html", context)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Reviewers: the applications at their step. The registrar: every open application of the institution."""
    registrar_of = registrar_institutions(request.user)
    if not selectors.is_reviewer(request.user) and not registrar_of.exists():
        raise PermissionDenied("no review role")
    waiting = list(selectors.review_queue(request.user))
    overview = (
        Application.objects.filter(student__institution__in=registrar_of, state=Application.State.REVIEW)
        .select_related("student__institution", "student__department")
        .order_by("submitted_at")
    )
    return render(request, "programs/queue.html", {"waiting": waiting, "overview": overview})


@login_required
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from weasyprint import HTML

    application = selectors.application_get_for(request.user, pk)
    certificate = getattr(application, "certificate", None)
    if certificate is None:
        raise Http404("no certificate issued")
    verify_url = request.build_absolute_uri(f"/programs/verify/{certificate.code}/")
    html = render_to_string(
        "programs/certificate_pdf.html",
        {
            "application": application,
            "certificate": certificate,
            "verify_url": verify_url,
            "exceptions": selectors.program_exceptions(application.program_result),
        },
        request=request,
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"certificate-{application.program}-{application.student.student_id}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: anyone holding the code sees the name, the program and the date — nothing of the record."""
    certificate = selectors.certificate_by_code(code)
    return render(request, "programs/verify.html", {"certificate": certificate})


@login_required
def terms(request: HttpRequest) -> HttpResponse:
    """The registrar's term calendar: registration windows, add/drop weeks, semester starts."""
    institutions = list(registrar_institutions(request.user))
    if not institutions:
        raise PermissionDenied("registrar only")
    error = ""
    if request.method == "POST":
        institution = next((i for i in institutions if i.code == request.POST.get("institution")), None)
        if institution is None:
            raise PermissionDenied("not your institution")
        try:
            fields = {
                name: date.fromisoformat(request.POST.get(name, ""))
                for name in ("semester_starts", "add_drop_ends", "registration_opens", "registration_closes")
            }
            services.program_term_save(institution, request.POST.get("term", ""), **fields)
        except services.ProgramError as exc:
            error = str(exc)
        except ValueError:
            error = _("Dates are YYYY-MM-DD; terms are like 114-1.")
        else:
            messages.success(request, _("Saved."))
            return redirect("programs:terms")
    rows = {i: (list(selectors.terms_of(i)), selectors.application_weeks(i)) for i in institutions}
    return render(request, "programs/terms.html", {"rows": rows, "error": error, "post": request.POST})
