from celery import shared_task


@shared_task(name="ops.tasks.alert_rules_evaluate_task")
def alert_rules_evaluate_task() -> dict:
    from .rules import alert_rules_evaluate

    result = alert_rules_evaluate()
    return {"raised": result.raised, "resolved": result.resolved}
