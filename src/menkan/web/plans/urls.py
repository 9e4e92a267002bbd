"""Study-plan routes: a student's plan."""

from django.urls import path

from menkan.web.plans import views

app_name = "plans"
urlpatterns = [
    path("<slug:institution>/<str:student_id>/", views.student_plan, name="student"),
]
