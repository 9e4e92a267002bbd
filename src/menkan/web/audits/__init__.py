"""Audits: published policy versions, stored audit results kept current, and batch audits."""
