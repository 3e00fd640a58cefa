"""Production settings, imported in a subprocess with a clean environment: the loyalty keys are
required (no sandbox default) and the sandbox app is not installed, so neither its URLs nor its
tables exist there."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "PATH": "/usr/bin:/bin",
    "DJANGO_SETTINGS_MODULE": "jwo_console.settings.production",
    "DJANGO_READ_DOT_ENV_FILE": "0",
    "SECRET_KEY": "s" * 50,
    "JWO_CONNECTOR_SECRET": "x",
    "PROCESSOR_URL": "https://processor.example/api",
    "PROCESSOR_API_KEY": "k",
    "YINZCAM_API_KEY": "yinzcam-real-key",
    "VENUENEXT_API_KEY": "venuenext-real-key",
}

REPORT = """
import django, json
django.setup()
from django.apps import apps
from django.conf import settings
from django.urls import NoReverseMatch, reverse
try:
    reverse("sandbox:overview")
    sandbox_url = True
except NoReverseMatch:
    sandbox_url = False
from django.db.migrations.loader import MigrationLoader
labels = {app for app, _ in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}
print(json.dumps({
    "installed": apps.is_installed("sandbox"),
    "sandbox_url": sandbox_url,
    "migrated_apps": sorted(labels),
    "yinzcam": settings.YINZCAM_API_KEY,
    "venuenext": settings.VENUENEXT_API_KEY,
}))
"""


def _production(code: str, **env: str) -> subprocess.CompletedProcess:
    full = {**PRODUCTION_ENV, **env}
    full = {k: v for k, v in full.items() if v is not None}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("name", ["YINZCAM_API_KEY", "VENUENEXT_API_KEY"])
@pytest.mark.parametrize("value", [None, "", "sandbox-loyalty-key"])
def test_production_refuses_to_start_without_a_real_loyalty_key(name, value):
    result = _production("import django; django.setup()", **{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name} is empty or the sandbox's key" in result.stderr


def test_production_has_no_sandbox_app_urls_or_tables():
    result = _production(REPORT)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["installed"] is False
    assert report["sandbox_url"] is False
    assert "sandbox" not in report["migrated_apps"]
    assert {"payments", "orders", "stores"} <= set(report["migrated_apps"])
    assert (report["yinzcam"], report["venuenext"]) == ("yinzcam-real-key", "venuenext-real-key")


def test_the_test_settings_keep_the_sandbox_and_its_loyalty_key(settings):
    assert "sandbox" in settings.INSTALLED_APPS
    assert settings.YINZCAM_API_KEY == settings.SANDBOX_LOYALTY_API_KEY


LOCAL_URLS = """
import django, json
django.setup()
from django.conf import settings
print(json.dumps([settings.JWO_SANDBOX_URL, settings.JWO_SANDBOX_CONNECTOR_URL,
                  settings.PORTAL_BASE_URL, settings.LOCAL_BASE_URL]))
"""


def _local_urls(env: dict) -> list[str]:
    full_env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "jwo_console.settings.local",
        "DJANGO_READ_DOT_ENV_FILE": "0",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", LOCAL_URLS], cwd=ROOT, env=full_env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_sandbox_and_portal_urls_follow_the_port_make_run_serves_on():
    here = "http://127.0.0.1:8000"
    assert _local_urls({}) == [f"{here}/sandbox", here, here, here]
    moved = "http://127.0.0.1:8001"
    assert _local_urls({"JWO_PORT": "8001"}) == [f"{moved}/sandbox", moved, moved, moved]
    # honcho gives every process its own PORT: the settings never read it
    assert _local_urls({"PORT": "5100"})[0] == f"{here}/sandbox"
    # a URL set explicitly still wins
    explicit = _local_urls({"JWO_PORT": "8001", "PORTAL_BASE_URL": "https://portal.example"})
    assert explicit[2] == "https://portal.example" and explicit[1] == moved


def _make_port(**env: str) -> str:
    """The JWO_PORT ``make run`` exports to its processes (make's database, nothing run)."""
    full_env = {"PATH": "/usr/bin:/bin", **env}
    result = subprocess.run(
        ["make", "-pn", "run"], cwd=ROOT, env=full_env, capture_output=True, text=True
    )
    [line] = [x for x in result.stdout.splitlines() if x.startswith("JWO_PORT :=")]
    return line.split(":=")[1].strip()


@pytest.mark.skipif(not Path("/usr/bin/make").exists(), reason="make is not installed")
def test_port_moves_make_run_and_its_web_server():
    assert _make_port() == "8000"
    assert _make_port(PORT="8001") == "8001"
    [web] = [x for x in (ROOT / "Procfile.dev").read_text().splitlines() if x.startswith("web:")]
    command = web.removeprefix("web:").strip()
    shown = subprocess.run(
        ["sh", "-c", f"echo {command}"], env={"JWO_PORT": "8001"}, capture_output=True, text=True
    )  # the shell honcho runs the line in expands it
    assert "runserver 127.0.0.1:8001 " in shown.stdout


def test_outbound_calls_in_tests_go_to_a_closed_port_not_a_running_console():
    """A test without the sandbox fixture must not reach the `make run` console on :8000
    (tests/stock once charged trips on a developer's running console)."""
    from django.conf import settings

    from integrations.amazon import config

    for url in (
        settings.JWO_SANDBOX_URL,
        settings.JWO_SANDBOX_CONNECTOR_URL,
        settings.JWO_CONNECTOR_PUBLIC_URL,
        config.base_url("payments"),
        config.base_url("catalog"),
    ):
        assert url.startswith("http://127.0.0.1:9"), url
