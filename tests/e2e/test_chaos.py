"""Issue 11's proof, short: bench/chaos.py --quick (80 trips through the gate simulator with
sandbox faults, two worker kills, Redis restarted empty, the web restarted) in its own database,
processes and Redis. It needs PostgreSQL (DATABASE_URL) and redis-server on PATH."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_after_faults_kills_and_restarts_every_charge_is_accounted_for(tmp_path):
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the chaos run needs PostgreSQL (DATABASE_URL)")
    if shutil.which("redis-server") is None:
        pytest.skip("the chaos run starts its own redis-server, which is not on PATH")
    report_file = tmp_path / "chaos.json"
    logs = tmp_path / "logs"
    run = subprocess.run(
        [
            sys.executable,
            "bench/chaos.py",
            "--quick",
            "--database",
            "jwo_chaos_e2e",
            "--json",
            str(report_file),
            "--logs",
            str(logs),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=235,
    )
    print(run.stdout[-6000:], run.stderr[-3000:])
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(report_file.read_text())

    # The run did what it says: trips became orders, faults were served, the chaos happened.
    assert report["trips"] >= 70 and report["orders"] >= 0.9 * report["admitted"]
    assert report["final"] + report["in_review"] + report["open_orders"] == report["orders"]
    assert sum(report["by_state"].values()) == report["orders"]
    assert sum(report["faulted_calls"].values()) >= 10
    events = "\n".join(report["events"])
    assert events.count("kill -9 worker") == 2 and "redis started again, empty" in events
    assert "web (gunicorn) started again" in events

    assert report["double_captures"] == 0, report["double_capture_examples"]
    assert report["captured_not_in_console"] == 0, report["captured_examples"]
    assert report["open_orders"] == 0, report["open_examples"]
