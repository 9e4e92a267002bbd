"""Student routes."""

from django.urls import path

from menkan.web.records import views

app_name = "records"
urlpatterns = [
    path("", views.student_list, name="student-list"),
    path("export.xlsx", views.student_list_export, name="student-list-export"),
    path("exceptions/", views.exception_queue, name="exception-queue"),
    path("exceptions/<int:pk>/decide/", views.exception_decide, name="exception-decide"),
    path("<slug:institution>/<str:student_id>/", views.student_home, name="student-home"),
    path("<slug:institution>/<str:student_id>/exceptions/propose/", views.exception_propose, name="exception-propose"),
]
