"""Template filters of the forecast pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    """mapping[key] in a template (0 when absent: the counts of a verdict nobody has)."""
    return mapping.get(key, 0)
