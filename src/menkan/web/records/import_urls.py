"""Import routes: the upload page (validate, apply) and exports of each kind in the import layout."""

from django.urls import path

from menkan.web.records import import_views

app_name = "imports"
urlpatterns = [
    path("", import_views.import_page, name="import"),
    path("export/<str:kind>.xlsx", import_views.export, name="export"),
]
