"""The stored audit document's column: the compact JSON text the store writes, read back as a dict."""

from __future__ import annotations

import json
from typing import Any

import orjson
from django.db import models


def compact_json(value: Any) -> str:
    """JSON as stored for audit documents: compact UTF-8 (a JSONField's own encoding escapes every Chinese
    character as \\uXXXX and adds blanks, which makes the text half as large again).

    orjson writes the same text as `json.dumps(value, ensure_ascii=False, separators=(",", ":"))` for what an
    audit holds (strings, shortest-repr floats, ints, lists, dicts with string keys; tested byte for byte on
    the demo and bench cohorts) in a fifth of the time: serialising was the largest cost of storing an audit.
    What orjson refuses (a dict with non-string keys) goes through the standard library instead."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class DocumentField(models.JSONField):  # type: ignore[type-arg]
    """A JSONField kept as its compact text on PostgreSQL too (a `text` column, not `jsonb`).

    Nothing queries inside an audit document (no key lookups, no containment): it is written whole by the
    batch store and read whole by the pages. As `jsonb` the server parsed every 14 kB document into its binary
    form on the way in, and printed it back to text on the way out; that parsing was two thirds of the
    server's time for a stored audit (500 students: 0.24 s → 0.08 s as text). As text the stored document is
    the very text the store wrote, byte for byte as on SQLite (where a JSONField is text already, and stays
    as it was). JSON key lookups on this field are not supported on PostgreSQL (they would need `jsonb`)."""

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "postgresql":
            return "text"
        return super().db_type(connection)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if connection.vendor == "postgresql" and value is not None and not hasattr(value, "as_sql"):
            return compact_json(value)
        return super().get_db_prep_value(value, connection, prepared)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if isinstance(value, str):
            return orjson.loads(value)
        return super().from_db_value(value, expression, connection)
