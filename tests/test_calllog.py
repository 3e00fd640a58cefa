from datetime import timedelta

import pytest
from django.utils import timezone

from jwo_console.calllog import amazon_calls_purge
from jwo_console.models import AmazonApiCall
from jwo_console.tasks import amazon_calls_purge_task


def _call(age_days: int) -> AmazonApiCall:
    return AmazonApiCall.objects.create(
        service="payments",
        operation="AdjustCharge",
        url="http://x/v1/adjust/charge",
        started_at=timezone.now() - timedelta(days=age_days),
    )


@pytest.mark.django_db
def test_purge_keeps_the_configured_number_of_days(settings):
    settings.JWO_CALL_LOG_RETENTION_DAYS = 30
    old, recent = _call(31), _call(29)
    assert amazon_calls_purge_task.delay().get() == 1
    assert list(AmazonApiCall.objects.all()) == [recent]
    assert amazon_calls_purge(older_than_days=0) == 1
    assert not AmazonApiCall.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db
def test_call_log_is_read_only_in_the_admin(admin_client):
    call = _call(0)
    assert (
        admin_client.get(f"/admin/jwo_console/amazonapicall/{call.pk}/change/").status_code == 200
    )
    assert (
        admin_client.post(f"/admin/jwo_console/amazonapicall/{call.pk}/delete/").status_code == 403
    )
    assert admin_client.get("/admin/jwo_console/amazonapicall/add/").status_code == 403
