"""Fees routes."""

from django.urls import path  # noqa: F401

app_name = "fees"
urlpatterns: list = []  # type: ignore[type-arg]
