import pytest
from django.urls import reverse

from ops.models import AlertThresholds
from tests import factories

pytestmark = pytest.mark.django_db

VALUES = {
    "orders_in_error_max": "3",
    "payment_pending_minutes": "45",
    "preauth_warn_hours": "6",
    "catalog_rejected_max": "10",
    "connector_5xx_max": "2",
    "connector_window_minutes": "5",
}


@pytest.fixture
def store(db):
    return factories.StoreFactory(name="Arena North")


def test_list_shows_defaults_for_a_store_without_thresholds(merchant_client, store):
    page = merchant_client.get(reverse("ops:alert-thresholds")).content.decode()
    assert "Arena North" in page
    assert reverse("ops:alert-thresholds-edit", args=[store.pk]) in page


def test_merchant_admin_edits_a_stores_thresholds(merchant_client, store):
    url = reverse("ops:alert-thresholds-edit", args=[store.pk])
    assert merchant_client.get(url).status_code == 200
    response = merchant_client.post(url, VALUES)
    assert response.status_code == 302
    saved = AlertThresholds.objects.get(store=store)
    assert (saved.orders_in_error_max, saved.payment_pending_minutes) == (3, 45)
    assert (saved.preauth_warn_hours, saved.connector_window_minutes) == (6, 5)
    merchant_client.post(url, {**VALUES, "orders_in_error_max": "7"})
    assert AlertThresholds.objects.get(store=store).orders_in_error_max == 7
    assert AlertThresholds.objects.count() == 1


def test_invalid_values_are_refused(merchant_client, store):
    url = reverse("ops:alert-thresholds-edit", args=[store.pk])
    response = merchant_client.post(url, {**VALUES, "connector_window_minutes": "0"})
    assert response.status_code == 400
    assert not AlertThresholds.objects.exists()


def test_staff_see_the_thresholds_but_cannot_edit(staff_client, store):
    page = staff_client.get(reverse("ops:alert-thresholds"))
    assert page.status_code == 200
    url = reverse("ops:alert-thresholds-edit", args=[store.pk])
    assert url not in page.content.decode()
    assert staff_client.get(url).status_code == 403
    assert staff_client.post(url, VALUES).status_code == 403
    assert not AlertThresholds.objects.exists()


def test_anonymous_is_sent_to_log_in(client, store):
    url = reverse("ops:alert-thresholds-edit", args=[store.pk])
    response = client.post(url, VALUES)
    assert response.status_code == 302 and "login" in response["Location"]
    assert not AlertThresholds.objects.exists()


def test_the_service_refuses_out_of_range_values_and_saves_nothing(store):
    from django.core.exceptions import ValidationError

    from ops.services import alert_thresholds_update

    with pytest.raises(ValidationError):
        alert_thresholds_update(store=store, data={"connector_window_minutes": 0}, actor=None)
    assert not AlertThresholds.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_first_saves_at_once_both_land_without_an_error():
    import threading

    from django.db import connection

    from ops.models import AlertThresholds
    from ops.services import alert_thresholds_update
    from tests.factories import StoreFactory

    store = StoreFactory()
    errors = []

    def save(n):
        try:
            alert_thresholds_update(store=store, data={"orders_in_error_max": n}, actor=None)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(n,)) for n in range(1, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AlertThresholds.objects.filter(store=store).count() == 1


@pytest.mark.parametrize(
    "value",
    ["\u0663", "1\u0665", "\u06f5", "\uff13", "\u0969", "3.0", "3e1", "0x10", "1_0", "٣٠"],
)  # Arabic-Indic, extended Arabic-Indic, full-width and Devanagari digits; not-quite-integers
def test_only_ascii_digits_are_a_threshold(merchant_client, store, value):
    url = reverse("ops:alert-thresholds-edit", args=[store.pk])
    response = merchant_client.post(url, {**VALUES, "payment_pending_minutes": value})
    assert response.status_code == 400
    assert "Enter a whole number in the digits 0-9" in response.content.decode()
    assert not AlertThresholds.objects.exists()
    spaced = merchant_client.post(url, {**VALUES, "payment_pending_minutes": " 45 "})
    assert spaced.status_code == 302  # surrounding spaces are not a different number
    assert AlertThresholds.objects.get().payment_pending_minutes == 45
