from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.item_list, name="items"),
    path("items/new/", views.item_add, name="item-new"),
    path("items/<int:pk>/edit/", views.item_edit, name="item-edit"),
    path("import/", views.import_start, name="import"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("export.csv", views.export_csv, name="export"),
    path("sync/", views.sync_request, name="sync-request"),
    path("sync/runs/", views.sync_runs, name="sync-runs"),
    path("sync/runs/<int:pk>/", views.sync_run_detail, name="sync-run"),
    path("sync/runs/<int:pk>/progress.json", views.sync_run_progress, name="sync-run-progress"),
    path("sync/schedule/<int:store_pk>/", views.schedule_set, name="schedule"),
]
