"""Early warning: whether a student can still finish within the study period, from the audit and policy data.

`forecast(institution, student, audit, as_of=..., today=...)` reads one audit (`menkan.audit/1` document, as the
CLI computes it or the portal stores it) and the institution's policy data: the study period (a policy's
`study-period` requirement, e.g. NYCU 學則 Art. 13–14; else `study_load.period` in institution.yaml), the most
credits per semester and summer (`study_load`, `term_credit_max`), the self-learning items' deadline
(`workflows.self_learning.notices.deadline`) and the catalogue's semesters of each course. Nothing here is an
institution's constant. Semesters on leave do not use up the study period (Art. 15; `study_position`).

The verdict is about finishing in the *window*: the regular semesters left in the study period, or, for a student
already past it, the semesters left of its most extension (the extension is reported beside the window).
"""

from __future__ import annotations

from menkan.foresight.forecast.result import (
    FORECAST_SCHEMA,
    VERDICTS,
    Forecast,
    ForecastCounts,
    OnceAYear,
    Reason,
    Shortfall,
    Verdict,
    render_forecast,
    roc_date,
)
from menkan.foresight.forecast.verdict import forecast

__all__ = [
    "FORECAST_SCHEMA",
    "VERDICTS",
    "Forecast",
    "ForecastCounts",
    "OnceAYear",
    "Reason",
    "Shortfall",
    "Verdict",
    "forecast",
    "render_forecast",
    "roc_date",
]
