"""Fees routes: a student's statement, the registrar's fee runs."""

from django.urls import path

from menkan.web.fees import views

app_name = "fees"
urlpatterns = [
    path("runs/", views.runs_index, name="runs-index"),
    path("runs/<slug:institution>/", views.runs, name="runs"),
    path("runs/<slug:institution>/add-drop/", views.add_drop, name="add-drop"),
    path("run/<int:run_id>/", views.run_detail, name="run"),
    path("run/<int:run_id>/export.xlsx", views.run_export, name="run-export"),
    path("<slug:institution>/<str:student_id>/", views.student_fees, name="student"),
]
