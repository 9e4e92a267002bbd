"""Imports of students, course records, activities and certificates from CSV / XLSX, and exports in the same layout.

An import is validated completely before anything is written: every row, every column. With any problem the
report lists them (row, column, reason) and the database is not touched. Otherwise every change is applied in
one transaction, by natural key (a second import of the same file changes nothing). The accepted headers and
values are documented in docs/import.md; the tables in `layouts` are the single source of that documentation.

The package, one subject a module: `report` (what an import did), `layouts` (kinds, columns, SIS words),
`reading` (the file's rows), `values` (cell spellings → the record's form), `permissions` (who imports what),
`planning` and `planners` (what each row would change), `running` (the run, in one transaction), `exports`.
"""

from menkan.web.records.imports.exports import export_headers, records_export
from menkan.web.records.imports.layouts import (
    CATEGORY_OF_KIND,
    DEGREES,
    DELIVERIES,
    DIVISIONS,
    IGNORED,
    KIND_LABELS,
    KIND_NAMES,
    KIND_OF_CATEGORY,
    KINDS,
    LAYOUTS,
    LEVELS,
    RECORD_KIND,
    STUDENT_ID_COLUMN,
    Column,
    ImportKind,
    header_key,
)
from menkan.web.records.imports.permissions import ImportScope, import_institutions, import_scope
from menkan.web.records.imports.reading import MAX_IMPORT_BYTES, ImportFileError, cell_text, table_read
from menkan.web.records.imports.report import MAX_PROBLEMS, ImportProblem, ImportReport
from menkan.web.records.imports.running import import_run
from menkan.web.records.imports.values import BadValue, parse_term

__all__ = [
    "CATEGORY_OF_KIND",
    "DEGREES",
    "DELIVERIES",
    "DIVISIONS",
    "IGNORED",
    "KINDS",
    "KIND_LABELS",
    "KIND_NAMES",
    "KIND_OF_CATEGORY",
    "LAYOUTS",
    "LEVELS",
    "MAX_IMPORT_BYTES",
    "MAX_PROBLEMS",
    "RECORD_KIND",
    "STUDENT_ID_COLUMN",
    "BadValue",
    "Column",
    "ImportFileError",
    "ImportKind",
    "ImportProblem",
    "ImportReport",
    "ImportScope",
    "cell_text",
    "export_headers",
    "header_key",
    "import_institutions",
    "import_run",
    "import_scope",
    "parse_term",
    "records_export",
    "table_read",
]
