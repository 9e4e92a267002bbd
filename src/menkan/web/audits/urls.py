"""Audit routes: what-if, the PDF of an audit, the registrar's batch audits."""

from django.urls import path

from menkan.web.audits import views

app_name = "audits"
urlpatterns = [
    path("batch/", views.batch_index, name="batch-index"),
    path("batch/<int:pk>/", views.batch_detail, name="batch-detail"),
    path("batch/<int:pk>/progress/", views.batch_progress, name="batch-progress"),
    path("<slug:institution>/<str:student_id>/what-if/", views.what_if, name="what-if"),
    path("<slug:institution>/<str:student_id>/audit.pdf", views.audit_pdf, name="audit-pdf"),
]
