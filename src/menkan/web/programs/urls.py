"""Programs routes."""

from django.urls import path  # noqa: F401

app_name = "programs"
urlpatterns: list = []  # type: ignore[type-arg]
