"""Pass-rate reports over audit results (`counting`) and their renderers (`renderers`: text, CSV, JSON, XLSX).

Pure: imports only `menkan.engine` (the portal reuses it over stored records; the CLI over a JSONL file).
"""

from menkan.reports.counting import (
    PASS_RATES_SCHEMA,
    Level,
    PassRateCounter,
    PassRateReport,
    PassRateSpec,
    ReportItem,
    Row,
    Tally,
    audit_pass_rates,
    pass_rate_spec,
    pass_rates,
    study_year,
)
from menkan.reports.renderers import (
    CSV_COLUMNS,
    FORMATS,
    render,
    render_csv,
    render_json,
    render_text,
    render_xlsx,
)

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "PASS_RATES_SCHEMA",
    "Level",
    "PassRateCounter",
    "PassRateReport",
    "PassRateSpec",
    "ReportItem",
    "Row",
    "Tally",
    "audit_pass_rates",
    "pass_rate_spec",
    "pass_rates",
    "render",
    "render_csv",
    "render_json",
    "render_text",
    "render_xlsx",
    "study_year",
]
