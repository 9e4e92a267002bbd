"""Import routes (upload, validate, apply): filled in by the imports work."""

from django.urls import URLPattern

app_name = "imports"
urlpatterns: list[URLPattern] = []
