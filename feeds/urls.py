from django.urls import path

from . import views

app_name = "feeds"

urlpatterns = [
    path("events", views.events_receive, name="events-receive"),
    path("events/", views.dead_letters, name="events"),
    path("events/<int:pk>/replay/", views.event_replay, name="event-replay"),
    path("files/", views.files, name="files"),
    path("files/<int:pk>/", views.file_detail, name="file"),
]
