from django.urls import path

from . import views

app_name = "ops"

urlpatterns = [
    path("", views.AlertThresholdsListView.as_view(), name="alert-thresholds"),
    path(
        "<int:store_id>/edit/",
        views.AlertThresholdsEditView.as_view(),
        name="alert-thresholds-edit",
    ),
]
