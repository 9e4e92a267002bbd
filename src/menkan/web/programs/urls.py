"""Programs routes: catalogue, a student's programs, applications and their review, queues, calendar, verification."""

from django.urls import path

from menkan.web.programs import views

app_name = "programs"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("catalogue/<str:code>/", views.program_detail, name="program"),
    path("students/<slug:institution>/<str:student_id>/", views.student_programs, name="student"),
    path("students/<slug:institution>/<str:student_id>/register/", views.register, name="register"),
    path("students/<slug:institution>/<str:student_id>/apply/", views.apply, name="apply"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/decide/", views.decide, name="decide"),
    path("applications/<int:pk>/resubmit/", views.resubmit, name="resubmit"),
    path("applications/<int:pk>/judge/", views.judge, name="judge"),
    path("applications/<int:pk>/certificate.pdf", views.certificate_pdf, name="certificate-pdf"),
    path("reviews/", views.queue, name="queue"),
    path("exceptions/", views.exceptions, name="exceptions"),
    path("terms/", views.terms, name="terms"),
    path("verify/<str:code>/", views.verify, name="verify"),
]
