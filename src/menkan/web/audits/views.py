"""What-if audits (nothing stored) and the audit as a PDF (WeasyPrint)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from menkan.engine import InputError, Term
from menkan.web.audits.selectors import audit_for_display, what_if_programs
from menkan.web.audits.services import PlannedCourseError, planned_courses_parse, policy_current, what_if_audit
from menkan.web.errors import input_error_text
from menkan.web.records.selectors import student_get_for


@login_required
def what_if(request: HttpRequest, institution: str, student_id: str) -> HttpResponse:
    student = student_get_for(request.user, institution, student_id)
    version = policy_current(student.institution)
    programs = what_if_programs(version) if version is not None else []
    context: dict[str, object] = {"student": student, "programs": programs, "planned": "", "chosen": []}
    if request.method == "POST":
        planned_text = request.POST.get("planned", "")
        chosen = request.POST.getlist("program")
        context.update(planned=planned_text, chosen=chosen)
        stored = audit_for_display(student)
        term = stored["as_of"] if stored else student.admission_term
        try:
            planned = planned_courses_parse(planned_text, str(Term.parse(term)))
            context["result"] = what_if_audit(student, planned=planned, programs=chosen).as_dict()
            context["before"] = stored
        except PlannedCourseError as exc:
            context["error"] = str(exc)
        except InputError as exc:
            context["error"] = input_error_text(exc) if exc.problems else "no published policy"
    template = "audits/what_if_result.html" if request.headers.get("HX-Request") else "audits/what_if.html"
    return render(request, template, context)


@login_required
def audit_pdf(request: HttpRequest, institution: str, student_id: str) -> HttpResponse:
    from weasyprint import HTML

    student = student_get_for(request.user, institution, student_id)
    audit = audit_for_display(student)
    html = render_to_string(
        "audits/audit_pdf.html", {"student": student, "audit": audit, "printed": timezone.now()}, request=request
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="audit-{student.student_id}.pdf"'
    return response
