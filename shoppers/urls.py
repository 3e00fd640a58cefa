from django.urls import path

from . import views

app_name = "shoppers"

urlpatterns = [
    path("gate-activity/", views.gate_activity, name="gate-activity"),
    path("app/scan-key-code", views.app_scan_key, name="app-scan-key"),
]
