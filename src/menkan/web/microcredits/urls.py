"""Micro-credits routes: offerings, sessions, enrollments, the student's page, forms and the Center's reviews."""

from django.urls import path

from menkan.web.microcredits import views

app_name = "microcredits"
urlpatterns = [
    path("", views.offering_list, name="offering-list"),
    path("new/<slug:institution>/", views.offering_create, name="offering-create"),
    path("offerings/<int:pk>/", views.offering_detail, name="offering-detail"),
    path("offerings/<int:pk>/signup/", views.offering_signup, name="offering-signup"),
    path("offerings/<int:pk>/sessions/", views.session_create, name="session-create"),
    path("sessions/<int:pk>/", views.session_attendance, name="session-attendance"),
    path("sessions/<int:pk>/check-in/", views.session_check_in, name="session-check-in"),
    path("enrollments/<int:pk>/work/", views.work_submit, name="work-submit"),
    path("enrollments/<int:pk>/work/file/", views.work_file, name="work-file"),
    path("enrollments/<int:pk>/grade/", views.enrollment_grade, name="enrollment-grade"),
    path("students/<slug:institution>/<str:student_id>/", views.student_page, name="student"),
    path(
        "students/<slug:institution>/<str:student_id>/certification/",
        views.certification_file,
        name="certification-file",
    ),
    path("students/<slug:institution>/<str:student_id>/offset/", views.offset_file, name="offset-file"),
    path("offsets/<int:pk>/pdf/", views.offset_pdf, name="offset-pdf"),
    path("reviews/", views.review_list, name="review-list"),
    path("certifications/<int:pk>/review/", views.certification_review, name="certification-review"),
    path("offsets/<int:pk>/review/", views.offset_review, name="offset-review"),
    path("bans/<int:pk>/lift/", views.ban_lift, name="ban-lift"),
]
