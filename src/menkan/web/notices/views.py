"""Notice pages: the registrar's schedules, sending and log; the mentors' class lists (page and PDF)."""

from __future__ import annotations

from celery.result import EagerResult
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.crypto import get_random_string
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from menkan.web.accounts.api import registrar_institutions
from menkan.web.notices import selectors, services
from menkan.web.notices.forms import MessageForm, ScheduleForm
from menkan.web.notices.models import NoticeLog
from menkan.web.notices.tasks import notices_send_due_task
from menkan.web.records.api import Institution, calendar


def _registrar_only(request: HttpRequest) -> None:
    if not registrar_institutions(request.user).exists():
        raise PermissionDenied("registrars only")


@login_required
def schedule_list(request: HttpRequest) -> HttpResponse:
    _registrar_only(request)
    today = calendar.today()
    schedules = [
        (schedule, selectors.schedule_notices(schedule), selectors.notice_due(schedule, today))
        for schedule in selectors.schedules_visible_to(request.user)
    ]
    institutions = registrar_institutions(request.user).order_by("code")
    return render(
        request, "notices/schedule_list.html", {"schedules": schedules, "today": today, "institutions": institutions}
    )


def _schedule_form(request: HttpRequest, form: ScheduleForm, title: str) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        schedule = services.schedule_save(form.save(commit=False), request.user)
        messages.success(request, _("Schedule saved."))
        return redirect("notices:schedule-edit", pk=schedule.pk)
    notices = selectors.schedule_notices(form.instance) if form.instance.pk else []
    return render(request, "notices/schedule_form.html", {"form": form, "title": title, "notices": notices})


@login_required
def schedule_create(request: HttpRequest) -> HttpResponse:
    _registrar_only(request)
    institutions = registrar_institutions(request.user)
    chosen = request.POST.get("institution", "")
    if chosen and not institutions.filter(pk=int(chosen) if chosen.isdigit() else 0).exists():
        raise PermissionDenied("not your institution")
    form = ScheduleForm(request.POST or None, institutions=institutions)
    return _schedule_form(request, form, _("New notice schedule"))


@login_required
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = selectors.schedule_get_for(request.user, pk)
    form = ScheduleForm(request.POST or None, instance=schedule)
    return _schedule_form(request, form, _("Notice schedule"))


@login_required
@require_POST
def send_due(request: HttpRequest) -> HttpResponse:
    """Send the institution's due notices now (what the daily job would do)."""
    institution = get_object_or_404(Institution, code=request.POST.get("institution", ""))
    if not registrar_institutions(request.user).filter(pk=institution.pk).exists():
        raise PermissionDenied("not your institution")
    result = notices_send_due_task.delay(institution_id=institution.pk)
    if isinstance(result, EagerResult):  # no broker: it ran here, and its counts are known
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted((result.get() or {}).items()))
        messages.success(request, _("Due notices sent: %(summary)s.") % {"summary": summary or _("nothing due")})
    else:
        messages.info(request, _("Sending the due notices in the background; the log shows them as they go."))
    return redirect("notices:log")


@login_required
def log_list(request: HttpRequest) -> HttpResponse:
    params = {name: request.GET.get(name, "").strip() for name in ("notice", "status", "audience", "q")}
    logs = selectors.logs_filtered(request.user, params)
    page = Paginator(logs, 50).get_page(request.GET.get("page"))
    query = urlencode({name: value for name, value in params.items() if value})
    return render(
        request,
        "notices/log.html",
        {
            "page": page,
            "params": params,
            "query": query,
            "statuses": NoticeLog.Status.choices,
            "audiences": NoticeLog.Audience.choices,
            "registrar": registrar_institutions(request.user).exists(),
        },
    )


@login_required
def class_index(request: HttpRequest) -> HttpResponse:
    classes = selectors.classes_visible_to(request.user).select_related("institution", "department", "mentor")
    return render(request, "notices/class_index.html", {"classes": classes.order_by("institution__code", "code")})


@login_required
def class_list(request: HttpRequest, institution: str, code: str) -> HttpResponse:
    school_class = selectors.class_get_for(request.user, institution, code)
    term, seniors = selectors.class_seniors(school_class, request.user)
    return render(request, "notices/class_list.html", {"school_class": school_class, "term": term, "seniors": seniors})


@login_required
def class_list_pdf(request: HttpRequest, institution: str, code: str) -> HttpResponse:
    school_class = selectors.class_get_for(request.user, institution, code)
    term, seniors = selectors.class_seniors(school_class, request.user)
    schedule = selectors.schedules_for_term(school_class.institution, term)
    pdf = services.class_list_pdf(
        [(school_class, seniors)], term=term, deadline=schedule.deadline if schedule is not None else None
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="class-list-{school_class.pk}.pdf"'
    return response


@login_required
@require_POST
def message_compose(request: HttpRequest) -> HttpResponse:
    """A notice to the students another page chose (its form posts `institution` and `students` here): the form
    and the recipients first, then, with `send`, the notice goes out once."""
    if not selectors.may_send_messages(request.user):
        raise PermissionDenied("nobody to write to")
    institution = get_object_or_404(Institution, code=request.POST.get("institution", ""))
    ids = [value.strip() for value in request.POST.getlist("students") if value.strip()]
    students, refused = selectors.message_reachable(request.user, institution, ids)
    if refused:
        raise PermissionDenied("not yours to reach: " + ", ".join(refused[:20]))
    sending = "send" in request.POST
    form = MessageForm(request.POST if sending else None)
    token = request.POST.get("token") or get_random_string(32)
    if sending and not students:
        messages.error(request, _("No students were chosen."))
    elif sending and form.is_valid():
        message, counts = services.message_send(
            request.user,
            institution,
            [s.student_id for s in students],
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            to_mentors=form.cleaned_data["to_mentors"],
            token=token,
        )
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        messages.success(request, _("Notice sent: %(summary)s.") % {"summary": summary})
        return redirect("notices:message", pk=message.pk)
    mentors = selectors.class_mentors({s.school_class for s in students if s.school_class is not None})
    names = sorted({user.get_full_name() or user.username for users in mentors.values() for user in users})
    return render(
        request,
        "notices/message_compose.html",
        {
            "form": form,
            "institution": institution,
            "students": students,
            "mentors": names,
            "token": token,
            "next": request.POST.get("next", ""),
        },
    )


@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.message_get_for(request.user, pk)
    staff = message.sender_id == request.user.pk or registrar_institutions(request.user).exists()
    logs = message.logs.select_related("student").order_by("recipient") if staff else None
    return render(request, "notices/message.html", {"message": message, "logs": logs})
