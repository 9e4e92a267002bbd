"""Forms of the self-learning pages: what each one accepts, with messages that say what is wrong."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from menkan.web.activities.services import DOCUMENT_KINDS, MAX_FILE_BYTES
from menkan.web.records.api import BadValue, UploadRefused, parse_term, upload_check

MAX_ROSTER_BYTES = 5 * 1024 * 1024
ROSTER_KINDS = ("csv", "xlsx")  # recognised by their content (records.uploads), not their name alone


def _term(value: str) -> str:
    try:
        return parse_term(value)
    except (BadValue, ValueError) as exc:
        raise forms.ValidationError(str(exc)) from None


def document_file(file: UploadedFile) -> UploadedFile:
    """A PDF, PNG or JPEG of at most MAX_FILE_BYTES (ValidationError with the reason otherwise)."""
    try:
        upload_check(file, file.name or "", DOCUMENT_KINDS, MAX_FILE_BYTES)
    except UploadRefused as exc:
        raise forms.ValidationError(str(exc)) from None
    return file


class OfferingForm(forms.Form):
    item = forms.ChoiceField(label=_("Item"))
    title = forms.CharField(label=_("Title"), max_length=256)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(label=_("Hours"), min_value=Decimal("0.5"), max_value=Decimal(200), decimal_places=1)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=100000)
    term = forms.CharField(label=_("Term"), max_length=8, help_text=_("ROC year and semester, e.g. 114-1"))

    def __init__(self, *args: Any, items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = items

    def clean_term(self) -> str:
        return _term(self.cleaned_data["term"])


class RosterForm(forms.Form):
    file = forms.FileField(label=_("Roster (CSV or XLSX of student IDs)"))

    def clean_file(self) -> UploadedFile:
        file = self.cleaned_data["file"]
        try:
            upload_check(file, file.name or "", ROSTER_KINDS, MAX_ROSTER_BYTES)
        except UploadRefused as exc:
            raise forms.ValidationError(str(exc)) from None
        return file


class EntryForm(forms.Form):
    student_id = forms.CharField(label=_("Student ID"), max_length=32)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(label=_("Reason (shown to the student)"), max_length=500, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why it is rejected: the student sees the reason."))
        return data


class MoocCourseForm(forms.Form):
    title = forms.CharField(label=_("Course title"), max_length=256)
    hours = forms.DecimalField(
        label=_("Certified hours"), min_value=Decimal("0.5"), max_value=Decimal(50), decimal_places=1
    )
    audience = forms.CharField(label=_("Audience"), max_length=128, required=False)
    active = forms.BooleanField(label=_("On the list"), required=False, initial=True)


class MoocUploadForm(forms.Form):
    course = forms.ChoiceField(label=_("MOOC course"))
    file = forms.FileField(label=_("Certificate (PDF, PNG or JPEG, at most 5 MB)"))

    def __init__(self, *args: Any, courses: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].choices = courses

    def clean_file(self) -> UploadedFile:
        return document_file(self.cleaned_data["file"])


class SubsidyForm(forms.Form):
    code = forms.ChoiceField(label=_("Licence"))
    exam_date = forms.DateField(label=_("Exam date"), widget=forms.DateInput(attrs={"type": "date"}))
    fee = forms.IntegerField(label=_("Exam fee incl. certificate fee (NT$)"), min_value=1, max_value=1000000)
    receipt = forms.FileField(label=_("Receipt (PDF, PNG or JPEG, at most 5 MB)"))

    def __init__(self, *args: Any, codes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = codes

    def clean_receipt(self) -> UploadedFile:
        return document_file(self.cleaned_data["receipt"])


class LicenceEntryForm(forms.Form):
    department = forms.ChoiceField(label=_("Department"))
    code = forms.ChoiceField(label=_("Licence"))

    def __init__(self, *args: Any, departments: list[tuple[str, str]], codes: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = departments
        self.fields["code"].choices = codes


class LicenceRegisterForm(forms.Form):
    student_id = forms.CharField(label=_("Student ID"), max_length=32)
    code = forms.ChoiceField(label=_("Licence"))
    term = forms.CharField(label=_("Term"), max_length=8, help_text=_("ROC year and semester, e.g. 114-1"))

    def __init__(self, *args: Any, codes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = codes

    def clean_term(self) -> str:
        return _term(self.cleaned_data["term"])
