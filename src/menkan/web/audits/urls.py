"""Audit routes: what-if, the PDF of an audit, the registrar's batch audits and policy publishing."""

from django.urls import path

from menkan.web.audits import views

app_name = "audits"
urlpatterns = [
    path("batch/", views.batch_index, name="batch-index"),
    path("batch/<int:pk>/", views.batch_detail, name="batch-detail"),
    path("batch/<int:pk>/progress/", views.batch_progress, name="batch-progress"),
    path("policies/", views.policy_index, name="policy-index"),
    path("policies/drafts/<int:pk>/", views.policy_draft, name="policy-draft"),
    path("policies/drafts/<int:pk>/progress/", views.policy_draft_progress, name="policy-draft-progress"),
    path("policies/drafts/<int:pk>/publish/", views.policy_draft_publish_view, name="policy-draft-publish"),
    path("<slug:institution>/<str:student_id>/what-if/", views.what_if, name="what-if"),
    path("<slug:institution>/<str:student_id>/audit.pdf", views.audit_pdf, name="audit-pdf"),
]
