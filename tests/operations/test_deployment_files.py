"""The deployment files (Dockerfile, compose.yaml, deploy/nginx.conf) name real settings modules,
real queues, one beat and a non-root gunicorn image (issue 15). `docker compose config` checks
the file too when the compose plugin is installed."""

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _services() -> dict:
    return _compose()["services"]


def _command(service: dict) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def _option(command: list[str], flag: str) -> str | None:
    return command[command.index(flag) + 1] if flag in command else None


def test_every_queue_has_a_worker_and_every_worker_queue_exists():
    configured = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    consumed: set[str] = set()
    names: set[str] = set()
    for service in _services().values():
        command = _command(service)
        if command[:4] == ["celery", "-A", "jwo_console", "worker"]:
            queues = _option(command, "-Q")
            assert queues, f"a worker without -Q eats every queue: {command}"
            consumed |= set(queues.split(","))
            names.add(_option(command, "-n"))
    assert consumed == configured
    assert None not in names and len(names) == len(consumed), "each worker needs its own -n"


def test_exactly_one_beat():
    beats = [
        (name, service)
        for name, service in _services().items()
        if _command(service)[:4] == ["celery", "-A", "jwo_console", "beat"]
    ]
    assert len(beats) == 1
    assert beats[0][1].get("deploy", {}).get("replicas", 1) == 1
    assert settings.CELERY_BEAT_SCHEDULER == "jwo_console.beat:LeasedScheduler"


def test_services_use_real_settings_and_reach_postgres_and_redis():
    services = _services()
    assert {"postgres", "redis", "proxy", "web", "beat", "migrate"} <= set(services)
    app_services = [s for s in services.values() if s.get("image") == "jwo-console:latest"]
    assert len(app_services) >= 6
    for name, service in services.items():
        if service.get("image") != "jwo-console:latest":
            continue
        env = service["environment"]
        module = env["DJANGO_SETTINGS_MODULE"]
        assert importlib.util.find_spec(module) is not None, module
        assert (
            env["DATABASE_URL"].startswith("postgres://")
            and "@postgres:5432/" in env["DATABASE_URL"]
        )
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        if name != "migrate":  # nothing starts on a schema older than the code
            assert service["depends_on"]["migrate"] == {
                "condition": "service_completed_successfully"
            }


def test_web_replicas_sit_behind_the_proxy_on_the_gunicorn_port():
    services = _services()
    web = _command(services["web"])
    assert web[:2] == ["gunicorn", "jwo_console.wsgi"]
    assert importlib.util.find_spec("jwo_console.wsgi") is not None
    port = _option(web, "--bind").rsplit(":", 1)[1]
    assert services["web"]["deploy"]["replicas"] >= 2
    assert "ports" not in services["web"], "only the proxy is published"
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.search(rf"server\s+web:{port};", nginx)
    assert "proxy_pass http://jwo_web;" in nginx
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["proxy"]["volumes"]


def test_the_image_is_python_311_slim_non_root_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    user = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert user and user[-1] not in {"root", "0"}
    assert '"gunicorn", "jwo_console.wsgi"' in dockerfile
    requirements = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^gunicorn==", requirements, re.M)
    assert ".venv" in (ROOT / ".dockerignore").read_text().split()


def _has_compose() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _has_compose(), reason="the docker compose plugin is not installed")
def test_docker_compose_config_accepts_the_file(tmp_path):
    result = subprocess.run(
        ["docker", "compose", "-f", str(ROOT / "compose.yaml"), "config", "--quiet"],
        cwd=ROOT,
        env={"POSTGRES_PASSWORD": "x", "PATH": "/usr/bin:/bin:/usr/local/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
