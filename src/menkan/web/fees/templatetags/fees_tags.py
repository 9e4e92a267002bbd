"""Template helpers of fees: the link to a student's fee page (only where the institution has fee schedules)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from menkan.web.fees.selectors import institution_has_fees

register = template.Library()


@register.simple_tag
def fee_link(student: Any) -> SafeString | str:
    """ " · Credit fees" after the student's other links, for institutions with fee schedules."""
    if student is None or not institution_has_fees(student.institution):
        return ""
    url = reverse("fees:student", kwargs={"institution": student.institution.code, "student_id": student.student_id})
    return format_html(' · <a href="{}" id="fee-link">{}</a>', url, _("Credit fees"))


@register.filter
def has_fees(student: Any) -> bool:
    """Does the student's institution have credit-fee schedules (else no link to a fee page)?"""
    return student is not None and institution_has_fees(student.institution)


@register.filter
def money(value: Any) -> str:
    """12345 → "NT$ 12,345" (two decimals only when there are cents)."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value))
    whole = amount == amount.to_integral_value()
    return "NT$ " + (f"{int(amount):,}" if whole else f"{amount:,.2f}")


@register.filter
def credits(value: Any) -> str:
    """3.0 → "3", 1.5 → "1.5"."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value)).normalize()
    return f"{amount:f}" if amount != amount.to_integral_value() else str(int(amount))
