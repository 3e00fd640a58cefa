"""The whole console after a realistic day: every page each role can reach answers without a
5xx, a template error or a dead link; staff get 403 on writes; a shopper's portal works too.

The day is made through the gate simulator (tests/crawl/day.py). In this test an invalid
template variable raises instead of printing nothing, so a template reading something that is
not there fails the crawl (``order.trip.shopper.email`` on a card trip, ``e.parameters.items``).
"""

import copy
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client

from tests.crawl.crawler import Crawler
from tests.crawl.day import _signin, make_day

pytestmark = pytest.mark.django_db(transaction=True)

CONSOLE_STARTS = ["/"]
PORTAL_STARTS = ["/portal/receipts/", "/portal/balance/"]
ANONYMOUS_STARTS = ["/accounts/login/", "/portal/", "/portal/find-trip/"]
# Writes staff may make: Retry and a payment review's decision (orders.retry_payment),
# acknowledging an alert (alerts.acknowledge_alert), and the sandbox's own tools.
STAFF_MAY_POST = ("/retry/", "/review/", "/acknowledge/", "/sandbox/", "/financial/orders/retry/")


class InvalidTemplateVariable(str):
    """``string_if_invalid`` that raises: Django formats it with the variable's name when a
    lookup fails. A name missing from the context, or an attribute/key missing on a real object,
    is an error; a lookup through ``None`` or ``""`` (``run.requested_by.username`` of a run
    nobody requested, rendered with ``|default``) is Django's documented idiom and passes."""

    def __contains__(self, item):
        return item == "%s"

    def __mod__(self, name):
        frame = sys._getframe(1)
        context, expression = frame.f_locals.get("context"), frame.f_locals.get("self")
        lookups = getattr(getattr(expression, "var", None), "lookups", None)
        if context is None or not lookups:
            raise AssertionError(f"invalid template variable: {name}")
        try:
            current = context[lookups[0]]
        except KeyError:
            raise AssertionError(
                f"invalid template variable: {name} (not in the context)"
            ) from None
        for bit in lookups[1:]:
            if current is None or current == "":
                return ""
            try:
                current = current[bit]
            except (TypeError, AttributeError, KeyError, ValueError, IndexError):
                if not hasattr(current, bit):
                    raise AssertionError(
                        f"invalid template variable: {name} ({type(current).__name__} has no "
                        f"{bit!r})"
                    ) from None
                current = getattr(current, bit)
        return ""


@pytest.fixture
def strict_templates(settings):
    templates = copy.deepcopy(django_settings.TEMPLATES)
    templates[0]["OPTIONS"]["string_if_invalid"] = InvalidTemplateVariable("invalid")
    settings.TEMPLATES = templates
    settings.DEBUG_PROPAGATE_EXCEPTIONS = True


def _the_day_has_what_the_crawl_needs(day) -> None:
    from catalog.models import StoreItem
    from orders.models import Order
    from payments.models import Payoff, Refund

    orders = Order.objects.all()
    # What the day made, for the message of whichever assertion fails (the day is random).
    made = (
        sorted(orders.values_list("status", "error_stage", "delegation_mode").distinct()),
        day.payoff_tries,
        {k: len(v) for k, v in day.outcomes.items()},
    )
    assert orders.filter(status="ERROR", error_stage="PAYMENT").exists(), made  # declines
    assert orders.filter(error_message__contains="not in catalog").exists(), made
    assert orders.filter(delegation_mode="FULL").exists(), made
    assert orders.exclude(checkout_order_id="").exists(), made  # the Checkout Service store
    assert (
        orders.filter(payment_attempts__status="PENDING").exists()
        or orders.filter(payment_attempts__retry_no__gt=0).exists()
    ), made
    assert StoreItem.objects.filter(sync_state="REJECTED").exists(), made  # Amazon refused one
    assert Refund.objects.exists(), made
    assert Payoff.objects.filter(status="PAID").exists(), made


def _client(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_every_page_works_after_a_realistic_day(sandbox, settings, strict_templates):
    started = time.perf_counter()
    day = make_day(sandbox.url, settings)
    print(f"day made in {time.perf_counter() - started:.1f} s")
    _the_day_has_what_the_crawl_needs(day)
    problems: list[str] = []

    merchant = Crawler(_client("merchant"), "merchant")
    merchant.crawl(CONSOLE_STARTS)
    problems += merchant.problems

    staff = Crawler(_client("staff"), "staff")
    staff.crawl(CONSOLE_STARTS)
    problems += staff.problems
    # what the merchant could open, staff open too or are refused with a 403, never a 5xx
    for url in sorted(set(merchant.visited) - set(staff.visited)):
        response = staff.get(url)
        if response is not None and response.status_code not in (200, 302, 403):
            problems.append(f"[staff] GET {url} answered {response.status_code}")
    # every write the merchant's pages offer: 403 for staff
    for form in merchant.post_forms.values():
        if any(part in form.action for part in STAFF_MAY_POST):
            continue
        try:
            response = staff.client.post(form.action, dict(form.fields))
        except Exception as exc:
            problems.append(f"[staff] POST {form.action} (form on {form.page}) raised {exc!r}")
            continue
        if response.status_code != 403:
            problems.append(
                f"[staff] POST {form.action} (form on {form.page}) answered "
                f"{response.status_code}, not 403"
            )

    for email in day.shopper_emails:
        shopper = Crawler(_signin(Client(), email), f"shopper {email}")
        shopper.crawl(PORTAL_STARTS)
        problems += shopper.problems
        assert any("/portal/receipts/" in u and u.count("/") > 3 for u in shopper.visited), email

    anonymous = Crawler(Client(), "anonymous", skip=("/admin/",))
    anonymous.crawl(ANONYMOUS_STARTS)
    problems += anonymous.problems

    print(
        f"crawl done in {time.perf_counter() - started:.1f} s: merchant {len(merchant.visited)}, "
        f"staff {len(staff.visited)} pages"
    )
    assert problems == [], "\n".join(problems)
    # the crawl saw what the day made: every kind of object page
    seen = " ".join(merchant.visited)
    for expected in (
        "/financial/orders/",
        "/financial/refunds/",
        "/catalog/sync/runs/",
        "/catalog/items/",
        "/pricing/promotions/",
        "/pricing/tax-rates/",
        "/shoppers/gate-activity/",
        "/sandbox/",
        "/sandbox/outbox/",
        "/catalog/export.csv",
        "/financial/orders/export.csv",
    ):
        assert expected in seen, expected
