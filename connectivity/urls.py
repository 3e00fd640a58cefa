from django.urls import path

from . import views

app_name = "connectivity"

urlpatterns = [
    path("jwo/<int:pk>/test/", views.ConnectivityTestView.as_view(), name="jwo-test"),
]
