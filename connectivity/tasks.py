from celery import shared_task


@shared_task(name="connectivity.tasks.connectivity_run_task")
def connectivity_run_task(run_id: int) -> str | None:
    from .services import connectivity_run_execute

    run = connectivity_run_execute(run_id=run_id)
    return run.status if run is not None else None


@shared_task(name="connectivity.tasks.connectivity_runs_sweep_task")
def connectivity_runs_sweep_task() -> tuple[int, int]:
    from .services import connectivity_runs_sweep

    return connectivity_runs_sweep()
