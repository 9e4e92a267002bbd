"""Notices routes."""

from django.urls import path  # noqa: F401

app_name = "notices"
urlpatterns: list = []  # type: ignore[type-arg]
