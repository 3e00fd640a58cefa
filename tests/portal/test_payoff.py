"""The balance and paying it off through the card processor's hosted page (the sandbox plays
it over real HTTP): the debt is cleared once, Amazon is told (Amazon-managed F&A) until it
accepts, and the gate admits the shopper again (retailer-managed F&A)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from payments.models import PaymentStatusReport, Payoff
from payments.payoffs import payoffs_reconcile
from payments.tasks import payment_status_reports_send_task
from sandbox.models import SandboxFault, SandboxPaymentReport, SandboxPaymentSession
from shoppers.models import LedgerEntry
from shoppers.services import card_outstanding_balance, gate_authorize_card
from tests.factories import merchant_admin
from tests.portal.conftest import shop, sign_in

pytestmark = pytest.mark.django_db(transaction=True)
GOOD_CARD, DECLINED_CARD = "4242 4242 4242 4242", "4000 0000 0000 0002"


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def start_payoff(client) -> str:
    started = client.post(reverse("portal:pay"))
    assert started.status_code == 302, started.content
    assert "/sandbox/processor/pay/" in started["Location"]
    return _path(started["Location"])


def pay_on_processor_page(client, page: str, card: str = GOOD_CARD):
    return client.post(page, {"number": card, "expiry": "12/29", "cvc": "123", "name": "Ana B"})


def gate_admits(mapping, card: str) -> bool:
    return gate_authorize_card(
        mapping=mapping,
        card_token=card,
        auth_event_id=f"evt-{timezone.now().timestamp()}",
        event_time=timezone.now(),
        risks=[],
    ).admitted


def test_the_balance_breaks_down_by_trip_with_the_reason(client, mapping):
    declined = shop(mapping, total="7.00", profile="decline")
    expired = shop(mapping, total="4.00", profile="decline", age=timedelta(hours=49))
    partial = shop(mapping, total="9.00")
    # a partial capture: 6.00 collected of 9.00 (a reduced retry), 3.00 stays owed
    from shoppers.ledger import ledger_book

    ledger_book(
        reference="test-partial",
        kind="DEBT",
        amount=Decimal("3.00"),
        currency="USD",
        card_token="amzn-card-7",
        trip_id=partial.trip.trip_id,
    )
    type(partial).objects.filter(pk=partial.pk).update(captured_amount=Decimal("6.00"))
    sign_in(client, "amzn-card-7@shoppers.example")
    page = client.get(reverse("portal:balance")).content.decode()
    assert "14.00 USD" in page, page[page.find("<main") :]
    for order, reason in (
        (declined, "Card declined"),
        (expired, "The card authorization expired before the total was collected"),
        (partial, "Collected short: the rest is owed as store credit"),
    ):
        assert reverse("portal:receipt", args=[order.purchase_id]) in page
        assert reason in page
    receipts = client.get(reverse("portal:receipts")).content.decode()
    assert "You owe <strong>14.00 USD</strong>" in receipts


def test_paying_off_clears_the_debt_and_the_gate_admits_again(client, mapping):
    order = shop(mapping, total="7.00", profile="decline")
    assert order.status == "ERROR" and order.next_action_at is not None
    assert not gate_admits(mapping, "amzn-card-7")
    told = [m for m in mail.outbox if "did not go through" in m.subject]
    assert len(told) == 1 and told[0].to == ["amzn-card-7@shoppers.example"]
    assert "/portal/balance/" in told[0].body
    sign_in(client, "amzn-card-7@shoppers.example")
    page = start_payoff(client)
    assert "7.00 USD" in client.get(page).content.decode()
    back = pay_on_processor_page(client, page)
    assert back.status_code == 302 and "session_id=" in back["Location"]
    confirmed = client.get(_path(back["Location"]), follow=True)
    text = confirmed.content.decode()
    assert "your balance is paid" in text and "store access is restored" in text
    payoff = Payoff.objects.get()
    assert payoff.status == "PAID" and payoff.card_last4 == "4242"
    # what the processor saw, on the sandbox's page (only the brand and last four kept)
    staff = Client()
    staff.force_login(merchant_admin(username="boss"))
    seen = staff.get(reverse("sandbox:overview")).content.decode()
    assert payoff.processor_session_id in seen and "VISA …4242" in seen
    assert "4242424242424242" not in seen
    assert card_outstanding_balance(card_token="amzn-card-7") == 0
    order.refresh_from_db()
    assert order.status == "COMPLETED" and order.next_action_at is None  # no retry charges it
    order_page = staff.get(reverse("payments:order", args=[order.pk])).content.decode()
    assert "Paid off in the portal (card): 7.00 USD" in order_page  # how it was settled
    assert gate_admits(mapping, "amzn-card-7")
    assert [m.subject for m in mail.outbox if m.subject.startswith("Balance paid")] == [
        "Balance paid: 7.00 USD. You can shop again"
    ]
    # retailer-managed F&A: our own records only, nothing reported to Amazon
    assert not PaymentStatusReport.objects.exists()
    # coming back again, or beat's reconcile, books nothing more
    client.get(_path(back["Location"]))
    assert payoffs_reconcile(older_than_seconds=0) == 0
    assert LedgerEntry.objects.filter(kind="PAYOFF").count() == 1
    assert order.tenders.filter(kind="PAYOFF").count() == 1


def test_a_declined_card_on_the_processor_page_charges_nothing_and_cancel_returns(client, mapping):
    shop(mapping, total="7.00", profile="decline")
    sign_in(client, "amzn-card-7@shoppers.example")
    page = start_payoff(client)
    declined = pay_on_processor_page(client, page, DECLINED_CARD)
    assert declined.status_code == 200 and "Your card was declined" in declined.content.decode()
    # the shopper presses Pay again: the same open session is reused, not a second one
    assert start_payoff(client) == page
    assert SandboxPaymentSession.objects.count() == 1
    cancelled = client.get(reverse("portal:payoff-cancel"), follow=True)
    assert "Nothing was charged" in cancelled.content.decode()
    assert Payoff.objects.get().status == "CANCELLED"
    assert SandboxPaymentSession.objects.get().status == "EXPIRED"
    assert card_outstanding_balance(card_token="amzn-card-7") == Decimal("7.00")


def test_a_shopper_who_paid_and_closed_the_tab_is_booked_by_the_reconcile(client, mapping):
    shop(mapping, total="7.00", profile="decline")
    sign_in(client, "amzn-card-7@shoppers.example")
    pay_on_processor_page(client, start_payoff(client))  # never comes back
    assert Payoff.objects.get().status == "OPEN"
    assert payoffs_reconcile(older_than_seconds=0) == 1
    assert Payoff.objects.get().status == "PAID"
    assert card_outstanding_balance(card_token="amzn-card-7") == 0


def test_amazon_managed_fa_is_reported_after_the_decline_and_after_the_payoff(client, mapping):
    mapping.fa_strategy = "AMAZON_MANAGED"
    mapping.save()
    order = shop(mapping, total="7.00", profile="decline")
    declined = PaymentStatusReport.objects.get()
    assert (declined.status, declined.settled_amount) == ("ACCEPTED", Decimal("0.00"))
    sign_in(client, "amzn-card-7@shoppers.example")
    back = pay_on_processor_page(client, start_payoff(client))
    client.get(_path(back["Location"]))
    report = PaymentStatusReport.objects.exclude(pk=declined.pk).get()
    assert report.status == "ACCEPTED"
    assert (report.total_amount, report.settled_amount) == (Decimal("7.00"), Decimal("7.00"))
    sent = SandboxPaymentReport.objects.order_by("pk").last()
    assert (sent.total_amount, sent.settled_amount) == (Decimal("7.00"), Decimal("7.00"))
    # paymentStatusTime in epoch milliseconds: the payoff's time
    paid_at = Payoff.objects.get().paid_at
    assert sent.payment_status_time == int(paid_at.timestamp() * 1000)
    assert sent.trip.outstanding_amount == 0
    assert order.trip.trip_id == sent.trip.trip_id


def test_a_report_amazon_did_not_take_is_resent_until_accepted(client, mapping, settings):
    mapping.fa_strategy = "AMAZON_MANAGED"
    mapping.save()
    settings.JWO_HTTP_MAX_ATTEMPTS = 1
    SandboxFault.objects.create(service="feedback", kind="500", remaining=1)
    shop(mapping, total="7.00", profile="decline")
    report = PaymentStatusReport.objects.get()
    assert report.status == "PENDING" and report.attempts == 1 and report.last_error
    assert report.next_attempt_at > timezone.now()
    PaymentStatusReport.objects.update(next_attempt_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert payment_status_reports_send_task() == 1
    report.refresh_from_db()
    assert report.status == "ACCEPTED" and report.attempts == 2


def test_the_sweep_sends_a_report_again_only_when_its_task_is_lost(
    client, mapping, settings, monkeypatch
):
    """A report's own task may wait behind a rush; within the grace the beat's sweep leaves it
    (a second task would tell Amazon twice), after it the sweep takes over (the task was lost)."""
    from payments import reports

    mapping.fa_strategy = "AMAZON_MANAGED"
    mapping.save()
    monkeypatch.setattr(reports, "send_on_commit", lambda *args, **kwargs: None)  # still queued
    shop(mapping, total="7.00", profile="decline")
    report = PaymentStatusReport.objects.get()
    assert report.status == "PENDING" and report.attempts == 0
    now = timezone.now()
    assert reports.payment_status_reports_claim(now=now) == []
    grace = timedelta(seconds=settings.JWO_TASK_GRACE_SECONDS + 1)
    assert reports.payment_status_reports_claim(now=now + grace) == [report.pk]


def test_no_retry_charges_a_trip_while_the_shopper_is_paying_it(client, mapping):
    from orders.models import Order
    from payments.services import PaymentInProgress, payment_collect
    from sandbox.models import SandboxTrip

    order = shop(mapping, total="7.00", profile="decline")
    sign_in(client, "amzn-card-7@shoppers.example")
    start_payoff(client)
    # the card has funds again: a retry now would capture beside the payoff
    SandboxTrip.objects.filter(trip_id=order.trip.trip_id).update(card_profile="OK")
    Order.objects.filter(pk=order.pk).update(
        next_action_at=timezone.now() - timedelta(minutes=1),
        last_attempt_at=timezone.now() - timedelta(minutes=10),
    )
    assert payment_collect(order_id=order.pk, trigger="AUTO") is None
    with pytest.raises(PaymentInProgress, match="paying this trip in the portal"):
        payment_collect(order_id=order.pk, trigger="MANUAL")
    order.refresh_from_db()
    assert order.status == "ERROR" and order.next_action_at > timezone.now()
    assert SandboxTrip.objects.get(trip_id=order.trip.trip_id).captured_amount == 0


def test_a_long_balance_lists_fifty_trips_and_says_how_many_more(client, mapping):
    from shoppers.ledger import ledger_book
    from tests.factories import OrderFactory

    shop(mapping, total="1.00")  # a receipt, so the card's e-mail can sign in
    for n in range(53):
        order = OrderFactory(mapping=mapping, total="2.00", status="ERROR")
        ledger_book(
            reference=f"debt-{n}",
            kind="DEBT",
            amount=Decimal("2.00"),
            currency="USD",
            card_token="amzn-card-7",
            trip_id=order.trip.trip_id,
        )
    sign_in(client, "amzn-card-7@shoppers.example")
    page = client.get(reverse("portal:balance")).content.decode()
    assert "106.00 USD" in page
    assert page.count("Card declined") == 50
    assert "and 3 more unpaid trips, all in the total above." in page


def test_behind_a_deep_money_queue_the_report_sweep_waits_for_the_queued_task(
    client, mapping, settings, monkeypatch
):
    from payments import reports, sweep

    mapping.fa_strategy = "AMAZON_MANAGED"
    mapping.save()
    monkeypatch.setattr(reports, "send_on_commit", lambda *args, **kwargs: None)  # still queued
    shop(mapping, total="7.00", profile="decline")
    PaymentStatusReport.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=2))
    monkeypatch.setattr(sweep, "queue_depths", lambda: {"money": settings.JWO_SWEEP_DEEP_QUEUE + 1})
    assert payment_status_reports_send_task() == 0
    monkeypatch.setattr(sweep, "queue_depths", lambda: {"money": 0})
    assert payment_status_reports_send_task() == 1
    assert PaymentStatusReport.objects.get().status == "ACCEPTED"
