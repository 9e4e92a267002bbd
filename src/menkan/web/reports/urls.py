"""Reports routes: the pass-rate report page and its downloads."""

from django.urls import path

from menkan.web.reports import views

app_name = "reports"
urlpatterns = [
    path("pass-rates/", views.pass_rates, name="pass-rates"),
    path("pass-rates.csv", views.pass_rates_csv, name="pass-rates-csv"),
    path("pass-rates.xlsx", views.pass_rates_xlsx, name="pass-rates-xlsx"),
    path("pass-rates.jsonl", views.pass_rates_jsonl, name="pass-rates-jsonl"),
]
