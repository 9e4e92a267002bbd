"""The pass-rate report's form: institution, term (as of) and cut-off date."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from menkan.engine import Term
from menkan.web.records.api import Institution


class PassRateForm(forms.Form):
    institution = forms.ChoiceField(label=_("Institution"))
    as_of = forms.CharField(
        label=_("Term (as of)"), max_length=8, help_text=_("ROC year and semester, e.g. 114-1"), strip=True
    )
    cutoff = forms.DateField(
        label=_("Cut-off date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "Activities dated after this day, and records of terms that begin after it, do not count; empty: every record counts."  # noqa: E501
        ),
    )

    def __init__(self, *args: Any, institutions: QuerySet[Institution], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].choices = [(i.code, f"{i.name_zh} ({i.code})") for i in institutions]

    def clean_as_of(self) -> Term:
        try:
            return Term.parse(self.cleaned_data["as_of"])
        except ValueError:
            raise forms.ValidationError(_("Not a term: write the ROC year and semester, e.g. 114-1.")) from None
