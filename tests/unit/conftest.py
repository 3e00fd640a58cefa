"""The fast unit layer: no live server, no HTTP, no transactional database. Every test here is
marked ``unit`` (``pytest -m unit`` runs the layer alone, in seconds).

The payment engine asks ``integrations.amazon.payments.client()`` for its client at each call
(payments/engine.py, payments/receipts.py); ``fake_payments`` puts a scripted fake there."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from integrations.amazon import payments as payments_api
from integrations.amazon.money import PaymentMoney


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/unit/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.unit)


@dataclass
class FakePayments:
    """Amazon's Payment Service as a script: each call takes the next answer queued for its
    operation (a value, or an exception to raise); every call is recorded in ``calls``."""

    answers: dict[str, list[Any]] = field(default_factory=dict)
    calls: list[tuple[str, Decimal | None]] = field(default_factory=list)

    def queue(self, operation: str, *answers: Any) -> "FakePayments":
        self.answers.setdefault(operation, []).extend(answers)
        return self

    def approve(self, authorized: str | None = None) -> "FakePayments":
        money = None if authorized is None else PaymentMoney(Decimal(authorized), "USD")
        return self.queue("adjust", payments_api.AdjustChargeResult("APPROVED", money))

    def answer(self, status: str) -> "FakePayments":
        return self.queue("adjust", payments_api.AdjustChargeResult(status, None))

    def _next(self, operation: str, default: Any = None) -> Any:
        queued = self.answers.get(operation) or []
        answer = queued.pop(0) if queued else default
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def operations(self) -> list[str]:
        return [name for name, _ in self.calls]

    def adjust_charge(self, trip, amount: PaymentMoney):
        self.calls.append(("adjust", amount.amount))
        answer = self._next("adjust")
        if answer is None:
            raise AssertionError("AdjustCharge called with no answer queued")
        return answer

    def capture_charge(self, trip, amount: PaymentMoney) -> None:
        self.calls.append(("capture", amount.amount))
        self._next("capture")

    def cancel_charge(self, trip) -> None:
        self.calls.append(("cancel", None))
        self._next("cancel")

    def get_transactional_data(self, trip):
        self.calls.append(("read", None))
        return self._next("read", payments_api.TransactionalData())

    def get_shopper_identity(self, *, store_id: str, shopper_id: str):
        self.calls.append(("identity", None))
        return self._next("identity", payments_api.ShopperIdentity(shopper_email=None))


@pytest.fixture
def fake_payments(monkeypatch) -> Iterator[FakePayments]:
    fake = FakePayments()
    monkeypatch.setattr(payments_api, "client", lambda: fake)
    yield fake
