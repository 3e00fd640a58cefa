"""Django itself: apps, middleware, URLs, templates, time, static files, money, DRF."""

from .environment import BASE_DIR

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "jwo_console",
    "stores",
    "django_filters",
    "shoppers",
    "catalog",
    "orders",
    "payments",
    "alerts",
    "stock",
    "connector",
    "portal",
    "feeds",
    "reconciliation",
    "dashboard",
    "ops",
    "connectivity",
    "sandbox",  # its URLs are mounted only when JWO_SANDBOX is on
]

MIDDLEWARE = [
    "jwo_console.middleware.RequestIdMiddleware",
    "ops.middleware.ConnectorMetricsMiddleware",
    # Before anything calls request.get_host(): a bad Host on Amazon's paths is stored, in JSON.
    "connector.middleware.ConnectorHostMiddleware",
    "jwo_console.middleware.RefuseNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "jwo_console.urls"
WSGI_APPLICATION = "jwo_console.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jwo_console.context_processors.navigation",
            ],
        },
    },
]

# --- I18N and time ----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # stored in UTC; pages convert to the store's zone
USE_I18N = True
USE_TZ = True

# --- Static -----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Money (jwo_console/money.py) --------------------------------------------------------------
MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2

# --- DRF --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "jwo_console.api.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
