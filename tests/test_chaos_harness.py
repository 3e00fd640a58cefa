"""The parts of bench/chaos.py that decide what its table says: which queues the workers
consume, and when an order counts as final, in review or still open."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from chaos_support import Classifier, _blank, celery_queues

from orders.choices import NextAction, OrderStatus


def test_the_workers_consume_every_queue_the_configuration_names(settings):
    queues = celery_queues()
    assert set(queues) >= {q.name for q in settings.CELERY_TASK_QUEUES}
    assert {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} <= set(queues)
    assert settings.CELERY_TASK_DEFAULT_QUEUE in queues


def _row(status, action=NextAction.NONE, **extra):
    return {"status": status, "next_action": action, "next_action_at": None, **extra}


@pytest.mark.parametrize(
    ("row", "state"),
    [
        (_row(OrderStatus.COMPLETED), "final"),
        (_row(OrderStatus.ERROR), "final"),  # no automatic step left
        (_row(OrderStatus.ERROR, NextAction.PAY), "open"),  # a retry is still due
        (_row(OrderStatus.REVIEW), "review"),
        (_row(OrderStatus.PENDING, NextAction.PRICE), "open"),
        (_row(OrderStatus.PRICED, NextAction.RESOLVE), "open"),
        (_row(OrderStatus.PAID, NextAction.RECEIPT), "open"),
        (_row(OrderStatus.PAID), "open"),  # paid, its receipt never fetched: not final
    ],
)
def test_an_order_is_final_in_review_or_open_as_the_engine_says(row, state):
    classifier = Classifier()
    assert classifier.action_field == "next_action"
    assert classifier.state(row) == state


def test_like_messages_count_as_one():
    one = _blank("Card declined: AdjustCharge for 12.34 USD was DECLINED.")
    other = _blank("Card declined: AdjustCharge for 7.00 USD was DECLINED.")
    assert one == other == "Card declined: AdjustCharge for <n> USD was DECLINED."
    assert _blank("item SKU SKU-UNKNOWN-0a3b9d not in catalog") == _blank(
        "item SKU SKU-UNKNOWN-ffee01 not in catalog"
    )
