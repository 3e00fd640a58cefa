from django.urls import path

from . import views

app_name = "stock"

urlpatterns = [
    path("", views.StockLevelListView.as_view(), name="levels"),
    path("items/<int:pk>/", views.StockItemView.as_view(), name="item"),
    path("import/", views.StockImportView.as_view(), name="import"),
    path("imports/<int:pk>/", views.StockImportDetailView.as_view(), name="import-detail"),
    path("export.csv", views.StockExportView.as_view(), name="export"),
]
