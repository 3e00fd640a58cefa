from django.urls import path

from . import views

urlpatterns = [
    path("v1/identity/identity-keys", views.identity_keys, name="connector-identity-keys"),
]
