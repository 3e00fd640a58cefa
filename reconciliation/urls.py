from django.urls import path

from . import views

app_name = "reconciliation"

urlpatterns = [
    path("", views.days, name="days"),
    path("run/", views.run_now, name="run-now"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/export.csv", views.run_export, name="run-export"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("amazon/<int:pk>/", views.amazon_order, name="amazon-order"),
]
