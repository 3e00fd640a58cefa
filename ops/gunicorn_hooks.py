"""Gunicorn hook for prometheus-client's multiprocess mode (README, "Metrics and alerts").

In the gunicorn config file: ``from ops.gunicorn_hooks import child_exit  # noqa: F401``.
"""

import os


def child_exit(server, worker) -> None:
    """A dead worker's live gauges are dropped; its counters and histograms stay counted."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
