"""Where the project lives and how settings read the environment (django-environ, ``.env``)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()


def filesystem_broker_options(folder: Path) -> dict:
    """Transport options of kombu's filesystem broker rooted at ``folder`` (created on demand)."""
    for sub in ("queue", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


if env.bool("DJANGO_READ_DOT_ENV_FILE", default=True) and (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))

# The port `make run` serves the console on: the Makefile exports JWO_PORT from PORT (8000 when
# unset, so `PORT=8001 make run` moves it), and the local URLs below follow it. Not PORT itself:
# honcho hands each process of Procfile.dev its own PORT (the base, then +100, +200 ...).
JWO_PORT = env.int("JWO_PORT", default=8000)
LOCAL_BASE_URL = f"http://127.0.0.1:{JWO_PORT}"
