"""Forecasts routes: the registrar's institution page, the mentors' class pages, recomputing the snapshot."""

from django.urls import path

from menkan.web.forecasts import views

app_name = "forecasts"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:institution>/", views.institution_page, name="institution"),
    path("<slug:institution>/refresh/", views.refresh, name="refresh"),
    path("<slug:institution>/classes/<str:code>/", views.class_page, name="class"),
]
