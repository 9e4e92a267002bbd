"""Activities routes: the student's self-learning page, and the offices' offerings, reviews and lists."""

from django.urls import path

from menkan.web.activities import views

app_name = "activities"
urlpatterns = [
    # students
    path("me/", views.me, name="me"),
    path("offerings/<int:pk>/signup/", views.signup, name="signup"),
    path("offerings/<int:pk>/cancel/", views.signup_cancel, name="signup-cancel"),
    path("me/moocs/", views.mooc_upload, name="mooc-upload"),
    path("me/subsidies/", views.subsidy_apply, name="subsidy-apply"),
    path("moocs/uploads/<int:pk>/file/", views.upload_file, name="upload-file"),
    path("subsidies/<int:pk>/receipt/", views.receipt_file, name="receipt-file"),
    # offices
    path("offerings/", views.offering_list, name="offering-list"),
    path("offerings/new/", views.offering_create, name="offering-create"),
    path("offerings/<int:pk>/", views.offering_detail, name="offering-detail"),
    path("offerings/<int:pk>/edit/", views.offering_edit, name="offering-edit"),
    path("offerings/<int:pk>/close/", views.offering_close, name="offering-close"),
    path("offerings/<int:pk>/roster/", views.offering_roster, name="offering-roster"),
    path("offerings/<int:pk>/entry/", views.offering_entry, name="offering-entry"),
    path("moocs/reviews/", views.mooc_reviews, name="mooc-reviews"),
    path("moocs/reviews/<int:pk>/", views.mooc_review, name="mooc-review"),
    path("moocs/courses/", views.mooc_courses, name="mooc-courses"),
    path("moocs/courses/<int:pk>/", views.mooc_course_edit, name="mooc-course-edit"),
    path("licences/lists/", views.licence_lists, name="licence-lists"),
    path("licences/lists/<int:pk>/remove/", views.licence_entry_remove, name="licence-entry-remove"),
    path("licences/register/", views.licence_register, name="licence-register"),
    path("subsidies/", views.subsidy_reviews, name="subsidy-reviews"),
    path("subsidies/<int:pk>/", views.subsidy_review, name="subsidy-review"),
]
