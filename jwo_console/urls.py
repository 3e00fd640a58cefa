from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dashboard import views as dashboard_views
from ops import views as ops_views

from . import views

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("livez", views.livez, name="livez"),
    path("metrics", ops_views.metrics_view, name="metrics"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/integrations/", include("stores.urls")),
    path("settings/integrations/", include("connectivity.urls")),
    path("catalog/stock/", include("stock.urls")),
    path("catalog/", include("catalog.urls")),
    path("shoppers/", include("shoppers.urls")),
    path("pricing/", include("orders.urls")),
    path("financial/reconciliation/", include("reconciliation.urls")),
    path("financial/", include("payments.urls")),
    path("feeds/", include("feeds.urls")),
    path("portal/", include("portal.urls")),
    path("alerts/", include("alerts.urls")),
    path("settings/alert-thresholds/", include("ops.urls")),
    path("", include("connector.urls")),  # Amazon's paths, at the root of the host
    path("admin/", admin.site.urls),
]

handler403 = "jwo_console.views.permission_denied"

if settings.JWO_SANDBOX:  # never in production: the production settings refuse JWO_SANDBOX
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
