"""Certification routes: the index, reviews (open, page, close, graduate lists), candidates and their decisions."""

from django.urls import path

from menkan.web.certification import views

app_name = "certification"
urlpatterns = [
    path("", views.index, name="index"),
    path("apply/", views.apply, name="apply"),
    path("reviews/open/", views.review_open, name="review-open"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("reviews/<int:pk>/close/", views.review_close, name="review-close"),
    path("reviews/<int:pk>/graduates.xlsx", views.graduates_xlsx, name="graduates-xlsx"),
    path("reviews/<int:pk>/graduates.pdf", views.graduates_pdf, name="graduates-pdf"),
    path("candidates/<int:pk>/", views.candidate_detail, name="candidate"),
    path("candidates/<int:pk>/decide/", views.decide, name="decide"),
]
