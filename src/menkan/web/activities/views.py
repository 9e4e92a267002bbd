"""Self-learning pages: the student's summary, sign-ups and uploads; the offices' offerings, hours, MOOC
reviews, licence lists, licences and subsidies (thin: selectors and services do the work)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from menkan.web.activities import selectors, services
from menkan.web.activities.forms import (
    EntryForm,
    LicenceEntryForm,
    LicenceRegisterForm,
    MoocCourseForm,
    MoocUploadForm,
    OfferingForm,
    ReviewForm,
    RosterForm,
    SubsidyForm,
)
from menkan.web.activities.models import LicenceListEntry, MoocCourse, Offering, Review
from menkan.web.activities.services import ActivityError
from menkan.web.audits.api import audit_refresh_if_stale
from menkan.web.records.api import Institution, Student, calendar, loc

# --------------------------------------------------------------------------------------------------- students


def _mooc_choices(student: Student) -> list[tuple[str, str]]:
    services.mooc_courses_seed(student.institution)
    courses = selectors.mooc_courses_open_to(student)  # not those whose hours the student has already
    return [(str(c.pk), f"{c.title} ({c.hours:g} h)") for c in courses]


def _licence_choices(student: Student) -> list[tuple[str, str]]:
    services.licence_entries_seed(student.institution)
    return [(code, f"{code} {entry.title}") for code, entry in sorted(services.licence_codes_of(student).items())]


def _subsidy_closed(applications: list[Any]) -> str:
    """Why the student cannot apply for the subsidy now (the service's own reasons), or "" if they can."""
    statuses = {application.status for application in applications}
    if Review.APPROVED in statuses:
        return _("You have received the licence subsidy already: it is granted once per student.")
    if Review.PENDING in statuses:
        return _("You have an application waiting for review already.")
    return ""


def _me_page(request: HttpRequest, student: Student, **forms: Any) -> HttpResponse:
    applications = list(student.subsidy_applications.all())
    audit_refresh_if_stale(student)  # the summary card reads the stored audit
    context = {
        "student": student,
        "summary": selectors.self_learning_summary(student),
        "offerings": selectors.open_offerings(student),
        "signed_up": selectors.signed_up_ids(student),
        "uploads": student.mooc_uploads.select_related("course"),
        "applications": applications,
        "subsidy_closed": _subsidy_closed(applications),
        "owners": selectors.owners_of(student.institution),
        "self_learning": _settings_shown(student.institution),
        "mooc_form": forms.get("mooc_form") or MoocUploadForm(courses=_mooc_choices(student)),
        "subsidy_form": forms.get("subsidy_form") or SubsidyForm(codes=_licence_choices(student)),
        "today": calendar.today(),
    }
    return render(request, "activities/me.html", context)


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    return _me_page(request, selectors.student_of(request.user))


def _seat(request: HttpRequest, pk: int, *, cancel: bool) -> HttpResponse:
    student = selectors.student_of(request.user)
    offering = get_object_or_404(Offering, pk=pk, institution_id=student.institution_id)
    try:
        if cancel:
            services.signup_cancel(student, offering)
            done = _("Your sign-up for %(title)s is cancelled.")
        else:
            services.signup_create(student, offering)
            done = _("You have signed up for %(title)s.")
        messages.success(request, done % {"title": offering.title})
    except ActivityError as exc:
        messages.error(request, str(exc))
    return redirect("activities:me")


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_POST
def signup(request: HttpRequest, pk: int) -> HttpResponse:
    return _seat(request, pk, cancel=False)


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_POST
def signup_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _seat(request, pk, cancel=True)


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_POST
def mooc_upload(request: HttpRequest) -> HttpResponse:
    student = selectors.student_of(request.user)
    form = MoocUploadForm(request.POST, request.FILES, courses=_mooc_choices(student))
    if form.is_valid():
        course = get_object_or_404(MoocCourse, pk=form.cleaned_data["course"], institution_id=student.institution_id)
        try:
            services.mooc_upload_create(student, course, form.cleaned_data["file"])
            messages.success(request, _("Your certificate is uploaded and waits for review."))
            return redirect("activities:me")
        except ActivityError as exc:
            form.add_error(None, str(exc))
    return _me_page(request, student, mooc_form=form)


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_POST
def subsidy_apply(request: HttpRequest) -> HttpResponse:
    student = selectors.student_of(request.user)
    form = SubsidyForm(request.POST, request.FILES, codes=_licence_choices(student))
    if form.is_valid():
        try:
            services.subsidy_apply(student, **form.cleaned_data)
            messages.success(request, _("Your subsidy application is sent and waits for review."))
            return redirect("activities:me")
        except ActivityError as exc:
            form.add_error(None, str(exc))
    return _me_page(request, student, subsidy_form=form)


def _file(field: Any) -> FileResponse:
    return FileResponse(field.open("rb"), as_attachment=False, filename=field.name.rsplit("/", 1)[-1])


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_GET
def upload_file(request: HttpRequest, pk: int) -> HttpResponse:
    return _file(selectors.upload_file_get_for(request.user, pk).file)


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_GET
def receipt_file(request: HttpRequest, pk: int) -> HttpResponse:
    return _file(selectors.receipt_get_for(request.user, pk).receipt)


# --------------------------------------------------------------------------------------------------- offerings


def _staff(request: HttpRequest) -> list[tuple[Institution, str]]:
    offices = selectors.staff_offices(request.user)
    if not offices:
        raise PermissionDenied("unit staff only")
    return offices


def _item_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [
        (value, f"{office} · {loc(title) or item}")
        for value, office, _i, item, title in selectors.staff_item_choices(request.user)
    ]


def _item_of(request: HttpRequest, value: str) -> tuple[Institution, str]:
    for choice, _office, institution, item, _title in selectors.staff_item_choices(request.user):
        if choice == value:
            return institution, item
    raise PermissionDenied("not your item")


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_GET
def offering_list(request: HttpRequest) -> HttpResponse:
    offices = _staff(request)
    offerings = list(selectors.offerings_visible_to(request.user))
    titles: dict[tuple[int, str], Any] = {}
    for offering in offerings:
        key = (offering.institution_id, offering.item)
        if key not in titles:
            titles[key] = selectors.item_title(offering.institution, offering.item)
        offering.item_title = titles[key]
    context = {
        "offerings": offerings,
        "offices": offices,
        "staff_moocs": bool(selectors.staff_mooc_institutions(request.user)),
        "staff_licences": bool(selectors.staff_licence_institutions(request.user)),
    }
    return render(request, "activities/offering_list.html", context)


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_http_methods(["GET", "POST"])
def offering_create(request: HttpRequest) -> HttpResponse:
    offices = _staff(request)
    items = _item_choices(request)
    initial = {"term": str(calendar.term_current(offices[0][0]))}
    form = OfferingForm(request.POST or None, items=items, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        institution, item = _item_of(request, data.pop("item"))
        try:
            offering = services.offering_create(user=request.user, institution=institution, item=item, **data)
            messages.success(request, _("The activity is created."))
            return redirect("activities:offering-detail", pk=offering.pk)
        except ActivityError as exc:
            form.add_error(None, str(exc))
    return render(request, "activities/offering_form.html", {"form": form, "offering": None, "items": items})


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_http_methods(["GET", "POST"])
def offering_edit(request: HttpRequest, pk: int) -> HttpResponse:
    offering = selectors.offering_get_for_staff(request.user, pk)
    items = _item_choices(request)
    initial = {
        "item": f"{offering.institution.code}:{offering.item}",
        "title": offering.title,
        "date": offering.date,
        "hours": offering.hours,
        "capacity": offering.capacity,
        "term": offering.term,
    }
    form = OfferingForm(request.POST or None, items=items, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        institution, data["item"] = _item_of(request, data["item"])
        try:
            if institution.pk != offering.institution_id:
                raise ActivityError(_("The item must stay one of %(office)s's.") % {"office": offering.office})
            services.offering_update(offering, user=request.user, **data)
            messages.success(request, _("The activity is saved."))
            return redirect("activities:offering-detail", pk=offering.pk)
        except ActivityError as exc:
            form.add_error(None, str(exc))
    return render(request, "activities/offering_form.html", {"form": form, "offering": offering, "items": items})


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_POST
def offering_close(request: HttpRequest, pk: int) -> HttpResponse:
    offering = selectors.offering_get_for_staff(request.user, pk)
    services.offering_close(offering, open_again=request.POST.get("open") == "1")
    messages.success(request, _("Sign-up is open again.") if not offering.closed else _("Sign-up is closed."))
    return redirect("activities:offering-detail", pk=offering.pk)


def _detail(request: HttpRequest, offering: Offering, **extra: Any) -> HttpResponse:
    offering.item_title = selectors.item_title(offering.institution, offering.item)
    context = {
        "offering": offering,
        "signups": selectors.offering_signups(offering),
        "roster_form": extra.pop("roster_form", None) or RosterForm(),
        "entry_form": extra.pop("entry_form", None) or EntryForm(),
        **extra,
    }
    return render(request, "activities/offering_detail.html", context)


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_GET
def offering_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.offering_get_for_staff(request.user, pk))


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_POST
def offering_roster(request: HttpRequest, pk: int) -> HttpResponse:
    offering = selectors.offering_get_for_staff(request.user, pk)
    form = RosterForm(request.POST, request.FILES)
    report = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        report = services.roster_register(offering, user=request.user, filename=upload.name, content=upload.read())
    return _detail(request, offering, roster_form=form, report=report)


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_POST
def offering_entry(request: HttpRequest, pk: int) -> HttpResponse:
    offering = selectors.offering_get_for_staff(request.user, pk)
    form = EntryForm(request.POST)
    report = None
    if form.is_valid():
        report = services.hours_register(offering, user=request.user, student_id=form.cleaned_data["student_id"])
    return _detail(request, offering, entry_form=form, report=report)


# --------------------------------------------------------------------------------------------------- MOOCs


def _mooc_institution(request: HttpRequest) -> Institution:
    """The institution whose MOOC list the user keeps (403 for anyone but the MOOCs' office staff)."""
    institutions = selectors.staff_mooc_institutions(request.user)
    if not institutions:
        raise PermissionDenied("MOOC office staff only")
    code = request.GET.get("institution") or request.POST.get("institution")
    return next((i for i in institutions if i.code == code), institutions[0])


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_GET
def mooc_reviews(request: HttpRequest) -> HttpResponse:
    _mooc_institution(request)
    status = request.GET.get("status", "pending")
    uploads = selectors.mooc_uploads_for_review(request.user, status=status if status != "all" else "")
    return render(request, "activities/mooc_reviews.html", {"uploads": uploads, "status": status, "form": ReviewForm()})


def _review(request: HttpRequest, review: Any, target: Any, *, approved: str, rejected: str) -> None:
    """Apply a reviewer's decision (approve, or reject with a reason) with `review`, and say how it went."""
    form = ReviewForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return
    approve = form.cleaned_data["decision"] == "approve"
    try:
        done = review(target, user=request.user, approve=approve, reason=form.cleaned_data["reason"])
        messages.success(request, (approved if approve else rejected) % {"amount": getattr(done, "amount", "")})
    except ActivityError as exc:
        messages.error(request, str(exc))


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_POST
def mooc_review(request: HttpRequest, pk: int) -> HttpResponse:
    upload = selectors.mooc_upload_get_for_staff(request.user, pk)
    approved, rejected = _("The certificate is approved."), _("The certificate is rejected.")
    _review(request, services.mooc_upload_review, upload, approved=approved, rejected=rejected)
    return redirect("activities:mooc-reviews")


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_http_methods(["GET", "POST"])
def mooc_courses(request: HttpRequest) -> HttpResponse:
    institution = _mooc_institution(request)
    services.mooc_courses_seed(institution)
    form = MoocCourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.mooc_course_save(institution, **form.cleaned_data)
            messages.success(request, _("The course is added to the list."))
            return redirect("activities:mooc-courses")
        except ActivityError as exc:
            form.add_error(None, str(exc))
    courses = selectors.mooc_courses_of(institution)
    return render(
        request, "activities/mooc_courses.html", {"form": form, "courses": courses, "institution": institution}
    )


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_http_methods(["GET", "POST"])
def mooc_course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    course = get_object_or_404(MoocCourse.objects.select_related("institution"), pk=pk)
    selectors.office_check(request.user, course.institution, selectors.mooc_office(course.institution))
    initial = {"title": course.title, "hours": course.hours, "audience": course.audience, "active": course.active}
    form = MoocCourseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.mooc_course_save(course.institution, course=course, **form.cleaned_data)
            messages.success(request, _("The course is saved."))
            return redirect("activities:mooc-courses")
        except ActivityError as exc:
            form.add_error(None, str(exc))
    return render(request, "activities/mooc_course_form.html", {"form": form, "course": course})


# --------------------------------------------------------------------------------------------------- licences


def _licence_institution(request: HttpRequest) -> Institution:
    """The institution whose licences the user handles (403 for anyone but the licence office's staff)."""
    institutions = selectors.staff_licence_institutions(request.user)
    if not institutions:
        raise PermissionDenied("licence office staff only")
    code = request.GET.get("institution") or request.POST.get("institution")
    institution = next((i for i in institutions if i.code == code), institutions[0])
    services.licence_entries_seed(institution)
    return institution


def _catalog_choices(institution: Institution) -> list[tuple[str, str]]:
    return [
        (code, f"{code} {entry.get('title', '')}") for code, entry in selectors.licence_catalog(institution).items()
    ]


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_http_methods(["GET", "POST"])
def licence_lists(request: HttpRequest) -> HttpResponse:
    institution = _licence_institution(request)
    departments = [(d.code, d.name_zh) for d in institution.departments.order_by("pk")]
    form = LicenceEntryForm(request.POST or None, departments=departments, codes=_catalog_choices(institution))
    if request.method == "POST" and form.is_valid():
        try:
            services.licence_entry_add(institution, user=request.user, **form.cleaned_data)
            messages.success(request, _("The licence is added; a new policy version is published."))
            return redirect("activities:licence-lists")
        except ActivityError as exc:
            form.add_error(None, str(exc))
    entries: dict[str, list[LicenceListEntry]] = {}
    for entry in LicenceListEntry.objects.filter(institution=institution).order_by("department", "code"):
        entries.setdefault(entry.department, []).append(entry)
    lists = [(code, name, entries.get(code, [])) for code, name in departments]
    return render(request, "activities/licence_lists.html", {"form": form, "lists": lists, "institution": institution})


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_POST
def licence_entry_remove(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(LicenceListEntry.objects.select_related("institution"), pk=pk)
    selectors.office_check(request.user, entry.institution, selectors.licence_office(entry.institution))
    services.licence_entry_remove(entry, user=request.user)
    messages.success(request, _("The licence is removed; a new policy version is published."))
    return redirect("activities:licence-lists")


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_http_methods(["GET", "POST"])
def licence_register(request: HttpRequest) -> HttpResponse:
    institution = _licence_institution(request)
    codes = sorted({(e.code, f"{e.code} {e.title}") for e in LicenceListEntry.objects.filter(institution=institution)})
    initial = {"term": str(calendar.term_current(institution))}
    form = LicenceRegisterForm(request.POST or None, codes=codes, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            certificate = services.licence_register(institution, user=request.user, **form.cleaned_data)
            messages.success(
                request,
                _("%(code)s is registered for %(id)s.")
                % {"code": certificate.code, "id": certificate.student.student_id},
            )
            return redirect("activities:licence-register")
        except ActivityError as exc:
            form.add_error(None, str(exc))
    return render(request, "activities/licence_register.html", {"form": form, "institution": institution})


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_GET
def subsidy_reviews(request: HttpRequest) -> HttpResponse:
    institution = _licence_institution(request)
    status = request.GET.get("status", "pending")
    applications = selectors.subsidies_for_review(request.user, status=status if status != "all" else "")
    rule = selectors.subsidy_rule(institution)
    context = {"applications": applications, "status": status, "rule": rule, "form": ReviewForm()}
    return render(request, "activities/subsidy_reviews.html", context)


def _settings_shown(institution: Institution) -> dict[str, Any]:
    """The self-learning settings as the page shows them (texts as {"zh-TW", "en"})."""
    settings = selectors.self_learning_settings(institution)
    return settings.model_dump(by_alias=True, mode="json") if settings is not None else {}


@login_required
@require_POST
def subsidy_review(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.subsidy_get_for_staff(request.user, pk)
    approved, rejected = _("The subsidy of NT$%(amount)s is approved."), _("The application is rejected.")
    _review(request, services.subsidy_review, application, approved=approved, rejected=rejected)
    return redirect("activities:subsidy-reviews")
