"""Receipts: the list scoped to the shopper, search, the receipt page, the PDF, the e-mail."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from orders.models import OrderLine, ShoppingTrip
from portal.models import ShopperEmail
from shoppers.models import Shopper
from tests.portal.conftest import shop, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_after_capture_the_receipt_goes_once_to_the_address_amazon_gives(mapping):
    order = shop(mapping, card="amzn-card-7", total="12.49")
    assert order.status == "COMPLETED"
    sent = [m for m in mail.outbox if m.subject.startswith("Your receipt")]
    assert len(sent) == 1
    assert sent[0].to == ["amzn-card-7@shoppers.example"]  # GetShopperIdentity's answer
    assert "12.49 USD" in sent[0].body and order.purchase_id in sent[0].body
    assert f"/portal/receipts/{order.purchase_id}/" in sent[0].body
    from portal.notifications import receipt_email_send

    assert receipt_email_send(order_id=order.pk) is False  # a retried task sends nothing
    assert ShopperEmail.objects.filter(key=f"receipt:{order.pk}").count() == 1


def test_an_app_shopper_without_an_amazon_address_gets_it_at_the_account_address(mapping):
    ana = Shopper.objects.create(email="ana@example.com")
    shop(mapping, shopper=ana)
    assert [m.to for m in mail.outbox if m.subject.startswith("Your receipt")] == [
        ["ana@example.com"]
    ]


def test_the_list_shows_every_trip_of_the_shopper_and_no_one_elses(client, mapping):
    mine = [shop(mapping, card="amzn-card-7", total=t) for t in ("3.00", "4.00", "5.00")]
    other = shop(mapping, card="amzn-card-8", total="99.00")
    sign_in(client, "Amzn-Card-7@Shoppers.Example")  # addresses match whatever the case
    page = client.get(reverse("portal:receipts")).content.decode()
    for order in mine:
        assert reverse("portal:receipt", args=[order.purchase_id]) in page
    assert reverse("portal:receipt", args=[other.purchase_id]) not in page
    assert "99.00" not in page


def test_search_by_card_transaction_id_and_the_stores_day(client, mapping):
    first = shop(mapping, total="3.00")
    second = shop(mapping, total="4.00")
    # the store is in New York: 03:30 UTC on the 2nd is 23:30 on the 1st there
    ShoppingTrip.objects.filter(pk=first.trip_id).update(
        ended_at=datetime(2026, 11, 2, 3, 30, tzinfo=UTC)
    )
    ShoppingTrip.objects.filter(pk=second.trip_id).update(
        ended_at=datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    )
    sign_in(client, "amzn-card-7@shoppers.example")
    url = reverse("portal:receipts")

    def found(**params) -> set[str]:
        page = client.get(url, params).content.decode()
        return {o.purchase_id for o in (first, second) if f"/receipts/{o.purchase_id}/" in page}

    assert found(date_from="2026-11-01", date_to="2026-11-01") == {first.purchase_id}
    assert found(date_from="2026-11-02", date_to="2026-11-02") == {second.purchase_id}
    statement_id = second.receipt.card_statement_transaction_id
    assert found(q=statement_id.lower()) == {second.purchase_id}
    assert found(q=first.purchase_id) == {first.purchase_id}
    card = f"{first.receipt.brand}-{first.receipt.tail}"
    assert found(card=card) == {
        o.purchase_id for o in (first, second) if f"{o.receipt.brand}-{o.receipt.tail}" == card
    }
    assert "No trip matches this search." in client.get(url, {"q": "TXNNOPE"}).content.decode()


def test_the_receipt_shows_the_store_time_items_savings_tax_and_card(client, mapping):
    order = shop(mapping, total="10.00", lines=2)
    OrderLine.objects.filter(order=order, line_no=1).update(
        name="Sparkling water",
        promotions=[{"name": "YinzCam Gold rewards", "amount": "0.50"}],
        discount="0.50",
    )
    order.tax_total = "0.70"
    order.save()
    ShoppingTrip.objects.filter(pk=order.trip_id).update(
        ended_at=datetime(2026, 11, 20, 17, 5, tzinfo=UTC)
    )
    sign_in(client, "amzn-card-7@shoppers.example")
    page = client.get(reverse("portal:receipt", args=[order.purchase_id])).content.decode()
    assert "12:05" in page and "America/New_York" in page  # 17:05 UTC in New York
    assert mapping.store.name in page and "Sparkling water" in page
    assert "YinzCam Gold rewards" in page and "\N{MINUS SIGN}0.50" in page
    assert "0.70" in page
    receipt = order.receipt
    for value in (
        receipt.tail,
        receipt.pos_entry_mode,
        receipt.application_id,
        receipt.card_statement_transaction_id,
    ):
        assert value and value in page


def test_the_receipt_downloads_as_a_pdf(client, mapping):
    order = shop(mapping, total="7.25", lines=1)
    OrderLine.objects.filter(order=order).update(name="Trail mix — large")
    sign_in(client, "amzn-card-7@shoppers.example")
    response = client.get(reverse("portal:receipt-pdf", args=[order.purchase_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"receipt-{order.purchase_id}.pdf" in response["Content-Disposition"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    for expected in (mapping.store.name, "Trail mix - large", "7.25 USD", order.purchase_id):
        assert expected in text
    assert order.receipt.card_statement_transaction_id in text


def test_the_pdf_of_an_unpaid_trip_says_so_and_shows_no_approval_code(client, mapping):
    from payments.models import PaymentReceipt

    order = shop(mapping, total="6.40", lines=1, profile="decline")
    assert order.status == "ERROR"
    # whatever Amazon's transactional data says of the declined authorization, no code of it
    PaymentReceipt.objects.update_or_create(
        order=order,
        defaults={"brand": "VISA", "tail": "4242", "authorization_response_code": "AP1234"},
    )
    paid = shop(mapping, total="2.00", lines=1)
    sign_in(client, "amzn-card-7@shoppers.example")
    response = client.get(reverse("portal:receipt-pdf", args=[order.purchase_id]))
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Payment failed: the card was declined. Balance due 6.40 USD" in text
    assert "Balance due" in text and "Paid" in text
    assert "AP1234" not in text and "Authorization code" not in text
    ok = client.get(reverse("portal:receipt-pdf", args=[paid.purchase_id]))
    ok_text = PdfReader(io.BytesIO(ok.content)).pages[0].extract_text()
    assert "Balance due" not in ok_text and "Payment failed" not in ok_text
    assert "Authorization code" in ok_text


def test_an_old_trip_past_the_refund_window_offers_no_refund(client, mapping, settings):
    order = shop(mapping, age=timedelta(days=settings.JWO_REFUND_WINDOW_DAYS + 1))
    sign_in(client, "amzn-card-7@shoppers.example")
    page = client.get(reverse("portal:receipt", args=[order.purchase_id])).content.decode()
    assert "Ask for a refund" not in page
    refused = client.post(
        reverse("portal:refund", args=[order.purchase_id]),
        {"scope": "trip", "reason_code": "DAMAGED_ITEM"},
    )
    assert refused.status_code == 400
    assert "refund window" in refused.content.decode()


def test_trips_come_twenty_a_page_newest_first(client, mapping):
    from tests.factories import OrderFactory

    ana = Shopper.objects.create(email="ana@example.com")
    made = [OrderFactory(mapping=mapping, shopper=ana, age=timedelta(hours=n)) for n in range(25)]
    sign_in(client, "ana@example.com")
    first = client.get(reverse("portal:receipts")).content.decode()
    assert "Page 1 of 2" in first
    assert first.count("/portal/receipts/JWO") == 20
    assert first.index(made[0].purchase_id) < first.index(made[1].purchase_id)  # newest first
    second = client.get(reverse("portal:receipts"), {"page": 2}).content.decode()
    assert second.count("/portal/receipts/JWO") == 5 and made[24].purchase_id in second
