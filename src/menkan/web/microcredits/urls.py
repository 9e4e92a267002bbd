"""Micro-credits routes."""

from django.urls import path  # noqa: F401

app_name = "microcredits"
urlpatterns: list = []  # type: ignore[type-arg]
