from celery import shared_task


@shared_task(name="ops.tasks.alert_rules_evaluate_task")
def alert_rules_evaluate_task() -> dict:
    from alerts.services import alerts_notify_sweep

    from .rules import alert_rules_evaluate

    result = alert_rules_evaluate()
    notified = alerts_notify_sweep()
    return {"raised": result.raised, "resolved": result.resolved, "notified": notified}
