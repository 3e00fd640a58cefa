"""Refunds from the portal: whole trip or chosen lines, staff decide (or the store's limit
approves), Amazon refunds through the sandbox, and the shopper is told by e-mail."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from payments.models import Refund
from sandbox.models import SandboxRefund
from tests.factories import merchant_admin
from tests.portal.conftest import shop, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _mails(subject_start: str) -> list:
    return [m for m in mail.outbox if m.subject.startswith(subject_start)]


def test_a_line_refund_waits_for_staff_who_approve_and_amazon_refunds(client, mapping):
    order = shop(mapping, total="10.00", lines=2)  # two lines of 5.00
    sign_in(client, "amzn-card-7@shoppers.example")
    url = reverse("portal:refund", args=[order.purchase_id])
    response = client.post(
        url, {"scope": "lines", "lines": ["2"], "reason_code": "DAMAGED_ITEM", "note": "dented"}
    )
    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.status, refund.amount, refund.requested_by_shopper) == (
        "REQUESTED",
        Decimal("5.00"),
        True,
    )
    assert [line["line_no"] for line in refund.lines] == [2]
    assert _mails("We received your refund request")[0].to == ["amzn-card-7@shoppers.example"]
    # the same line cannot be asked for twice; the other one still can
    again = client.post(url, {"scope": "lines", "lines": ["2"], "reason_code": "OTHER"})
    assert again.status_code == 400 and "Select a valid choice" in again.content.decode()

    staff = client.__class__()
    staff.force_login(merchant_admin(username="boss"))
    queue = staff.get(reverse("payments:refunds")).content.decode()
    assert order.purchase_id in queue and "dented" in queue and "Water (5.00)" not in queue
    decided = staff.post(
        reverse("payments:refund-decide", args=[refund.pk]),
        {"decision": "approve", "next": reverse("payments:refunds")},
    )
    assert decided.status_code == 302 and decided["Location"] == reverse("payments:refunds")
    assert "No refund request is waiting" in staff.get(reverse("payments:refunds")).content.decode()
    refund.refresh_from_db()
    assert refund.status == "REFUNDED"
    assert SandboxRefund.objects.get().amount == Decimal("5.00")
    told = _mails("Your refund of 5.00 USD is on its way")
    assert len(told) == 1 and told[0].to == ["amzn-card-7@shoppers.example"]
    page = client.get(reverse("portal:receipt", args=[order.purchase_id])).content.decode()
    assert "Refunded" in page


def test_below_the_stores_limit_a_refund_is_approved_and_sent_at_once(client, mapping):
    mapping.refund_auto_approve_limit = Decimal("15.00")
    mapping.save()
    order = shop(mapping, total="12.00", lines=1)
    sign_in(client, "amzn-card-7@shoppers.example")
    response = client.post(
        reverse("portal:refund", args=[order.purchase_id]),
        {"scope": "trip", "reason_code": "UNWANTED_ITEM"},
        follow=True,
    )
    assert "12.00 USD" in response.content.decode()
    refund = Refund.objects.get()
    assert refund.status == "REFUNDED" and refund.decided_by is None
    assert order.events.filter(type="refund_auto_approved").exists()
    assert _mails("Your refund of 12.00 USD is on its way")
    # nothing is left to refund: no more requests
    page = client.get(reverse("portal:receipt", args=[order.purchase_id])).content.decode()
    assert "Ask for a refund" not in page


def test_above_the_limit_it_waits_and_a_rejection_tells_the_shopper_why(client, mapping):
    mapping.refund_auto_approve_limit = Decimal("5.00")
    mapping.save()
    order = shop(mapping, total="12.00", lines=1)
    sign_in(client, "amzn-card-7@shoppers.example")
    client.post(
        reverse("portal:refund", args=[order.purchase_id]),
        {"scope": "trip", "reason_code": "JWO_TECH_ERROR"},
    )
    refund = Refund.objects.get()
    assert refund.status == "REQUESTED"
    staff = client.__class__()
    staff.force_login(merchant_admin(username="boss"))
    staff.post(
        reverse("payments:refund-decide", args=[refund.pk]),
        {"decision": "reject", "reason": "The video shows the item was taken."},
    )
    refund.refresh_from_db()
    assert refund.status == "REJECTED"
    told = _mails("Your refund request was not approved")
    assert len(told) == 1 and "The video shows the item was taken." in told[0].body
    page = client.get(reverse("portal:receipt", args=[order.purchase_id])).content.decode()
    assert "The video shows the item was taken." in page
    assert not SandboxRefund.objects.exists()


def test_a_refund_needs_a_reason_and_items_when_refunding_items(client, mapping):
    order = shop(mapping, total="4.00", lines=1)
    sign_in(client, "amzn-card-7@shoppers.example")
    url = reverse("portal:refund", args=[order.purchase_id])
    no_reason = client.post(url, {"scope": "trip"})
    assert no_reason.status_code == 400 and "This field is required." in no_reason.content.decode()
    no_items = client.post(url, {"scope": "lines", "reason_code": "OTHER"})
    assert no_items.status_code == 400
    assert "Choose at least one item" in no_items.content.decode()
    assert not Refund.objects.exists()
