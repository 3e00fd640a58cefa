"""Shopper A cannot reach shopper B's receipt, refund or balance by changing an id; card lookup
opens one trip and cannot be used to enumerate."""

import pytest
from django.test import Client
from django.urls import reverse

from payments.models import Payoff, Refund
from tests.portal.conftest import shop, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_shoppers(mapping):
    a = shop(mapping, card="amzn-card-1", total="5.00")
    b_paid = shop(mapping, card="amzn-card-2", total="6.00")
    b_owed = shop(mapping, card="amzn-card-2", total="7.00", profile="decline")
    return a, b_paid, b_owed


def test_changing_the_receipt_id_in_a_url_or_a_form_reaches_nothing(client, two_shoppers):
    a, b_paid, b_owed = two_shoppers
    sign_in(client, "amzn-card-1@shoppers.example")
    assert client.get(reverse("portal:receipt", args=[a.purchase_id])).status_code == 200
    for b in (b_paid, b_owed):
        assert client.get(reverse("portal:receipt", args=[b.purchase_id])).status_code == 404
        assert client.get(reverse("portal:receipt-pdf", args=[b.purchase_id])).status_code == 404
        refund = client.post(
            reverse("portal:refund", args=[b.purchase_id]),
            {"scope": "trip", "reason_code": "DAMAGED_ITEM"},
        )
        assert refund.status_code == 404
    assert not Refund.objects.exists()
    # B's order number typed into the search finds nothing either
    page = client.get(reverse("portal:receipts"), {"q": b_paid.purchase_id}).content.decode()
    assert "No trip matches this search." in page


def test_another_shoppers_debt_is_neither_shown_nor_payable(client, two_shoppers):
    sign_in(client, "amzn-card-1@shoppers.example")
    page = client.get(reverse("portal:balance")).content.decode()
    assert "Nothing to pay" in page and "7.00" not in page
    response = client.post(reverse("portal:pay"), follow=True)
    assert "nothing to pay" in response.content.decode().lower()
    assert not Payoff.objects.exists()


def test_another_shoppers_payoff_cannot_be_seen_or_confirmed(client, two_shoppers, live_server):
    b = Client()
    sign_in(b, "amzn-card-2@shoppers.example")
    started = b.post(reverse("portal:pay"))
    assert started.status_code == 302 and "/sandbox/processor/pay/" in started["Location"]
    payoff = Payoff.objects.get()
    sign_in(client, "amzn-card-1@shoppers.example")
    assert client.get(reverse("portal:payoff", args=[payoff.public_id])).status_code == 404
    stolen = client.get(
        reverse("portal:payoff-return"), {"session_id": payoff.processor_session_id}
    )
    assert stolen.status_code == 404


def test_card_lookup_opens_exactly_that_trip(client, mapping):
    first = shop(mapping, card="amzn-card-3", total="8.40")
    second = shop(mapping, card="amzn-card-3", total="9.10")
    receipt = first.receipt
    day = first.trip.ended_at.astimezone(first.store.zone).date()
    found = client.post(
        reverse("portal:find-trip"),
        {"last4": receipt.tail, "day": day.isoformat(), "amount": "8.40"},
    )
    assert found.status_code == 302
    assert found["Location"] == reverse("portal:receipt", args=[first.purchase_id])
    assert client.get(found["Location"]).status_code == 200
    # the same card's other trip stays closed, and the list holds only the one found
    assert client.get(reverse("portal:receipt", args=[second.purchase_id])).status_code == 404
    listed = client.get(reverse("portal:receipts")).content.decode()
    assert first.purchase_id in listed and second.purchase_id not in listed
    # the statement's transaction id alone works too
    other = Client()
    by_statement = other.post(
        reverse("portal:find-trip"),
        {"statement_id": second.receipt.card_statement_transaction_id},
    )
    assert by_statement["Location"] == reverse("portal:receipt", args=[second.purchase_id])


def test_card_lookup_says_not_found_or_asks_for_the_statement_id_when_ambiguous(client, mapping):
    first = shop(mapping, card="amzn-card-4", total="3.00")
    receipt = first.receipt
    day = first.trip.ended_at.astimezone(first.store.zone).date()
    wrong_amount = client.post(
        reverse("portal:find-trip"),
        {"last4": receipt.tail, "day": day.isoformat(), "amount": "3.01"},
    )
    wrong_tail = client.post(
        reverse("portal:find-trip"),
        {"last4": f"{(int(receipt.tail) + 1) % 10000:04d}", "day": day.isoformat(), "amount": "3"},
    )
    assert wrong_amount.status_code == wrong_tail.status_code == 404
    message = "We could not find one trip with these details."
    assert message in wrong_amount.content.decode() and message in wrong_tail.content.decode()
    # a second trip with the same card ending, day and amount: neither is shown; the
    # statement's transaction id is asked for
    twin = shop(mapping, card="amzn-card-5", total="3.00")
    type(twin.receipt).objects.filter(pk=twin.receipt.pk).update(
        tail=receipt.tail, brand=receipt.brand
    )
    ambiguous = client.post(
        reverse("portal:find-trip"),
        {"last4": receipt.tail, "day": day.isoformat(), "amount": "3.00"},
    )
    page = ambiguous.content.decode()
    assert ambiguous.status_code == 409 and message not in page
    assert "More than one trip matches this card ending, day and amount." in page
    assert "transaction id printed on your card statement" in page
    assert first.purchase_id not in page and twin.purchase_id not in page
    assert client.get(reverse("portal:receipts")).status_code == 302  # still not signed in
    by_statement = client.post(
        reverse("portal:find-trip"), {"statement_id": receipt.card_statement_transaction_id}
    )
    assert by_statement["Location"] == reverse("portal:receipt", args=[first.purchase_id])


def test_card_lookup_is_rate_limited_so_it_cannot_be_enumerated(client, mapping, settings):
    settings.PORTAL_LOOKUP_RATE_PER_IP = "5/hour"
    order = shop(mapping, card="amzn-card-6", total="4.20")
    day = order.trip.ended_at.astimezone(order.store.zone).date().isoformat()
    for tail in range(5):
        client.post(
            reverse("portal:find-trip"), {"last4": f"{tail:04d}", "day": day, "amount": "4.20"}
        )
    right = client.post(
        reverse("portal:find-trip"),
        {"last4": order.receipt.tail, "day": day, "amount": "4.20"},
    )
    assert right.status_code == 429
    assert "Too many lookups" in right.content.decode()


def test_card_lookup_says_which_field_is_wrong_or_missing(client):
    bad = client.post(reverse("portal:find-trip"), {"last4": "12"})
    assert bad.status_code == 400
    assert "Enter exactly 4 digits." in bad.content.decode()
    missing = client.post(reverse("portal:find-trip"), {"last4": "1234"})
    assert missing.status_code == 400
    assert missing.content.decode().count("Needed when you search without the statement") == 2
