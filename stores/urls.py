from django.urls import path

from . import views

app_name = "stores"

urlpatterns = [
    path("jwo/", views.JwoStoreMappingListView.as_view(), name="jwo-mappings"),
    path("jwo/history/", views.JwoStoreMappingHistoryView.as_view(), name="jwo-mapping-history"),
    path("jwo/<int:pk>/edit/", views.JwoStoreMappingEditView.as_view(), name="jwo-mapping-edit"),
    path(
        "jwo/<int:pk>/remove/",
        views.JwoStoreMappingDeleteView.as_view(),
        name="jwo-mapping-delete",
    ),
]
