"""Notices routes: schedules and sending (registrar), the log, notices to chosen students, the mentors' class lists."""

from django.urls import path

from menkan.web.notices import views

app_name = "notices"
urlpatterns = [
    path("schedules/", views.schedule_list, name="schedule-list"),
    path("schedules/new/", views.schedule_create, name="schedule-create"),
    path("schedules/<int:pk>/", views.schedule_edit, name="schedule-edit"),
    path("send/", views.send_due, name="send-due"),
    path("log/", views.log_list, name="log"),
    path("messages/new/", views.message_compose, name="message-compose"),
    path("messages/<int:pk>/", views.message_detail, name="message"),
    path("classes/", views.class_index, name="class-index"),
    path("classes/<slug:institution>/<str:code>/", views.class_list, name="class-list"),
    path("classes/<slug:institution>/<str:code>/list.pdf", views.class_list_pdf, name="class-list-pdf"),
]
