"""The registrar's form for a notice schedule (weeks typed as "8, 16")."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from menkan.engine import Term
from menkan.web.notices.models import NoticeSchedule


class WeeksField(forms.CharField):
    """Week numbers as "8, 16" ⇄ [8, 16]."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(week) for week in value)
        return value

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        text = super().to_python(value) or ""
        weeks = []
        for part in text.replace("，", ",").replace(" ", ",").split(","):
            if not part:
                continue
            if not part.isdigit() or not 1 <= int(part) <= 30:
                raise forms.ValidationError(_("Weeks are numbers from 1 to 30, separated by commas."))
            weeks.append(int(part))
        return sorted(set(weeks))


class ScheduleForm(forms.ModelForm):  # type: ignore[type-arg]
    weeks = WeeksField(label=_("Weeks"), required=False, help_text=_("Weeks with a notice, e.g. 8, 16"))
    head_weeks = WeeksField(
        label=_("Weeks for department heads"), required=False, help_text=_("Weeks whose notice also goes to heads")
    )

    class Meta:
        model = NoticeSchedule
        fields = [
            "institution",
            "term",
            "semester_start",
            "weeks",
            "weekday",
            "head_weeks",
            "monthly_day",
            "monthly_to_heads",
            "deadline",
            "active",
        ]
        widgets = {
            "semester_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, institutions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if institutions is not None:
            self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["institution"].disabled = True
            self.fields["term"].disabled = True

    def clean_term(self) -> str:
        term = self.cleaned_data["term"].strip()
        try:
            parsed = Term.parse(term)
        except ValueError:
            raise forms.ValidationError(_("A term such as 114-1.")) from None
        return str(parsed)

    def clean_weekday(self) -> int:
        weekday: int = self.cleaned_data["weekday"]
        if not 0 <= weekday <= 6:
            raise forms.ValidationError(_("0 (Monday) to 6 (Sunday)."))
        return weekday

    def clean_monthly_day(self) -> int | None:
        day: int | None = self.cleaned_data.get("monthly_day")
        if day is not None and not 1 <= day <= 28:
            raise forms.ValidationError(_("A day from 1 to 28 (every month has it)."))
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, deadline = data.get("semester_start"), data.get("deadline")
        if start and deadline and deadline <= start:
            self.add_error("deadline", _("The deadline comes after the semester start."))
        if not data.get("weeks") and not data.get("monthly_day"):
            self.add_error("weeks", _("Give weeks, a monthly day, or both."))
        return data


class MessageForm(forms.Form):
    """A notice to chosen students: its subject and text, and whether their mentors get it too."""

    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}), max_length=10000)
    to_mentors = forms.BooleanField(label=_("Also to their mentors"), required=False)
