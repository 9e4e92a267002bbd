"""The in-process API of forecasts (OEP-49): what the rest of the portal may import from it, and nothing else.

The snapshot of an institution's forecasts (made from the stored audits) and its rows.
"""

from __future__ import annotations

from menkan.web.forecasts.models import StudentForecast
from menkan.web.forecasts.services import forecasts_compute, forecasts_refresh_start

__all__ = ["StudentForecast", "forecasts_compute", "forecasts_refresh_start"]
