"""Template helpers of micro-credits: who gets the Center's links in the navigation."""

from __future__ import annotations

from typing import Any

from django import template

from menkan.web.microcredits.selectors import center_institution_ids

register = template.Library()


@register.filter
def runs_micro_credits(user: Any) -> bool:
    """Center staff (unit staff of the unit the policy names) or a registrar: whom offerings and reviews are for."""
    return bool(center_institution_ids(user))


@register.filter
def category_name(application: Any) -> Any:
    """The name of an offset application's gen-ed category ({"zh-TW": …, "en": …}; the tag if it has none)."""
    from menkan.web.microcredits.services import offset_categories

    names = {c.get("tag"): c.get("name") for c in offset_categories(application.student.institution)}
    return names.get(application.category) or application.category
