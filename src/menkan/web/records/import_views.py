"""Pages for imports (upload, validate, apply) and exports in the import layout (thin: imports.py does the work)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from menkan.web.exports import XLSX
from menkan.web.records.imports import (
    KIND_LABELS,
    KINDS,
    LAYOUTS,
    MAX_IMPORT_BYTES,
    ImportKind,
    import_institutions,
    import_run,
    records_export,
)
from menkan.web.records.models import Institution


class ImportForm(forms.Form):
    institution = forms.CharField(label=_("Institution"), max_length=32)
    kind = forms.ChoiceField(label=_("Records"), choices=[(kind, KIND_LABELS[kind]) for kind in KINDS])
    file = forms.FileField(label=_("File (CSV or XLSX)"))
    validate_only = forms.BooleanField(label=_("Validate only (write nothing)"), required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is too large; split it."))
        return upload


def _layouts(kinds: set[str]) -> list[tuple[str, Any, list[tuple[str, tuple[str, ...], bool]]]]:
    """The columns of each kind the user may import, for the page's reference table."""
    return [
        (kind, KIND_LABELS[kind], [(c.headers[0], c.headers[1:], c.required) for c in LAYOUTS[kind]])
        for kind in KINDS
        if kind in kinds
    ]


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    """The upload form; a POST validates the file and applies it (or only validates), then shows the report."""
    allowed = import_institutions(request.user)
    if not allowed:
        raise PermissionDenied("you may not import records")
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        institution = get_object_or_404(Institution, code=form.cleaned_data["institution"])
        upload = form.cleaned_data["file"]
        report = import_run(
            kind=form.cleaned_data["kind"],
            filename=upload.name,
            content=upload.read(),
            institution=institution,
            user=request.user,
            apply=not form.cleaned_data["validate_only"],
        )
    permitted = {kind for _, scope in allowed for kind in scope.kinds}
    context = {
        "form": form,
        "kinds": [(kind, KIND_LABELS[kind]) for kind in KINDS if kind in permitted],
        "allowed": [(institution, [(k, KIND_LABELS[k]) for k in scope.kinds]) for institution, scope in allowed],
        "report": report,
        "layouts": _layouts(permitted),
        "chosen_institution": form.data.get("institution", allowed[0][0].code),
        "chosen_kind": form.data.get("kind", ""),
    }
    return render(request, "records/import_form.html", context)


@login_required
def export(request: HttpRequest, kind: str) -> HttpResponse:
    """The records of one kind the user may see, as XLSX in the import layout (`?institution=<code>` for one)."""
    if kind not in KINDS:
        raise Http404("no such export")
    code = request.GET.get("institution", "")
    institution = get_object_or_404(Institution, code=code) if code else None
    content = records_export(kind=_kind(kind), user=request.user, institution=institution)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{kind}{"-" + code if code else ""}.xlsx"'
    return response


def _kind(kind: str) -> ImportKind:
    assert kind in KINDS
    return kind  # type: ignore[return-value]
