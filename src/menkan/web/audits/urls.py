"""Audit routes: what-if and the PDF of an audit."""

from django.urls import path

from menkan.web.audits import views

app_name = "audits"
urlpatterns = [
    path("<slug:institution>/<str:student_id>/what-if/", views.what_if, name="what-if"),
    path("<slug:institution>/<str:student_id>/audit.pdf", views.audit_pdf, name="audit-pdf"),
]
