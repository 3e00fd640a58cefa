"""The page: merchants run the test, staff read; results in the store's time zone; progress while
it runs; a run whose task was lost is finished as interrupted."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from connectivity.choices import RunStatus
from connectivity.models import ConnectivityRun
from tests.factories import ConnectivityRunFactory, JwoStoreMappingFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mapping():
    return JwoStoreMappingFactory(
        store=StoreFactory(name="Arena Market", time_zone="America/Chicago"),
        jwo_store_id="jwo-page-1",
    )


def _url(mapping) -> str:
    return f"/settings/integrations/jwo/{mapping.pk}/test/"


def test_the_mapping_list_links_each_store_to_its_test(merchant_client, mapping):
    page = merchant_client.get("/settings/integrations/jwo/").content.decode()
    assert f'href="{_url(mapping)}" aria-label="Run test of Arena Market"' in page


def test_staff_get_a_link_to_the_results(staff_client, mapping):
    page = staff_client.get("/settings/integrations/jwo/").content.decode()
    assert f'href="{_url(mapping)}" aria-label="Test results of Arena Market"' in page


def test_a_merchant_starts_a_run(
    merchant_client, merchant, mapping, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        response = merchant_client.post(_url(mapping))
    assert response.status_code == 302 and response["Location"] == _url(mapping)
    run = ConnectivityRun.objects.get(store=mapping.store)
    assert run.status == RunStatus.QUEUED and run.requested_by == merchant
    assert len(queued) == 1  # the task, once the run is committed
    page = merchant_client.get(_url(mapping)).content.decode()
    assert '<meta http-equiv="refresh"' in page  # progress while it runs
    assert "Waiting" in page and "Catalog API" in page
    assert 'id="run-test" disabled' in page  # one run at a time


def test_staff_see_results_but_cannot_run(staff_client, mapping):
    ConnectivityRunFactory(store=mapping.store)
    page = staff_client.get(_url(mapping))
    assert page.status_code == 200
    assert "Only a merchant admin can run the test" in page.content.decode()
    assert 'id="run-test"' not in page.content.decode()
    assert staff_client.post(_url(mapping)).status_code == 403
    assert ConnectivityRun.objects.count() == 1


def test_times_are_shown_in_the_stores_zone(merchant_client, mapping):
    when = datetime(2026, 1, 15, 18, 30, tzinfo=UTC)
    run = ConnectivityRunFactory(store=mapping.store, finished_at=when)
    ConnectivityRun.objects.filter(pk=run.pk).update(created_at=when)
    page = merchant_client.get(_url(mapping)).content.decode()
    assert "2026-01-15 12:30:00 CST" in page  # 18:30 UTC in Chicago
    assert "Passed" in page and "Reachable, and the signature is accepted." in page


def test_a_run_whose_task_was_lost_shows_as_interrupted_and_can_run_again(
    merchant_client, mapping, settings, django_capture_on_commit_callbacks
):
    settings.JWO_CONNECTIVITY_STALE_MINUTES = 10
    lost = ConnectivityRunFactory(
        store=mapping.store,
        status=RunStatus.RUNNING,
        finished_at=None,
        checks=[{"key": "amazon:catalog", "name": "Catalog API", "status": "PENDING"}],
    )
    ConnectivityRun.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )
    page = merchant_client.get(_url(mapping)).content.decode()
    lost.refresh_from_db()
    assert lost.status == RunStatus.INTERRUPTED and lost.finished_at is not None
    assert "its task was lost" in page and "Interrupted" in page
    assert lost.checks[0]["status"] == "SKIPPED"

    with django_capture_on_commit_callbacks():
        merchant_client.post(_url(mapping))
    assert ConnectivityRun.objects.filter(store=mapping.store, status=RunStatus.QUEUED).count() == 1


def test_a_recent_open_run_is_left_alone(merchant_client, mapping):
    running = ConnectivityRunFactory(
        store=mapping.store, status=RunStatus.RUNNING, finished_at=None
    )
    merchant_client.get(_url(mapping))
    running.refresh_from_db()
    assert running.status == RunStatus.RUNNING


def test_a_run_whose_worker_was_killed_can_be_run_again_after_two_quiet_minutes(
    merchant_client, mapping, settings, django_capture_on_commit_callbacks
):
    """The worker was killed after the first check: nothing moved the run on for
    JWO_CONNECTIVITY_NO_PROGRESS_MINUTES (2), well before the run is stale (10)."""
    assert settings.JWO_CONNECTIVITY_NO_PROGRESS_MINUTES == 2
    settings.JWO_CONNECTIVITY_STALE_MINUTES = 10
    three_ago = timezone.now() - timedelta(minutes=3)
    killed = ConnectivityRunFactory(
        store=mapping.store,
        status=RunStatus.RUNNING,
        finished_at=None,
        checks=[
            {"key": "amazon:catalog", "name": "Catalog API", "status": "OK"},
            {"key": "amazon:payments", "name": "Payment Service", "status": "PENDING"},
        ],
    )
    ConnectivityRun.objects.filter(pk=killed.pk).update(
        created_at=three_ago, started_at=three_ago, progress_at=three_ago
    )

    page = merchant_client.get(_url(mapping)).content.decode()

    killed.refresh_from_db()
    assert killed.status == RunStatus.INTERRUPTED
    assert "the worker running it stopped (or its task was lost)" in killed.error
    assert "made no progress for 2 minutes" in killed.error
    assert "is a worker running?" not in page
    assert 'id="run-test" disabled' not in page
    assert [c["status"] for c in killed.checks] == ["OK", "SKIPPED"]
    with django_capture_on_commit_callbacks():
        merchant_client.post(_url(mapping))
    assert ConnectivityRun.objects.filter(store=mapping.store, status=RunStatus.QUEUED).count() == 1


def test_a_run_still_making_progress_is_left_alone(merchant_client, mapping):
    three_ago = timezone.now() - timedelta(minutes=3)
    running = ConnectivityRunFactory(
        store=mapping.store, status=RunStatus.RUNNING, finished_at=None
    )
    ConnectivityRun.objects.filter(pk=running.pk).update(
        created_at=three_ago, started_at=three_ago, progress_at=timezone.now()
    )
    page = merchant_client.get(_url(mapping)).content.decode()
    running.refresh_from_db()
    assert running.status == RunStatus.RUNNING
    assert 'id="run-test" disabled' in page


def test_a_run_no_worker_took_says_so(merchant_client, mapping):
    never = ConnectivityRunFactory(store=mapping.store, status=RunStatus.QUEUED, finished_at=None)
    ConnectivityRun.objects.filter(pk=never.pk).update(
        created_at=timezone.now() - timedelta(minutes=4)
    )
    merchant_client.get(_url(mapping))
    never.refresh_from_db()
    assert never.status == RunStatus.INTERRUPTED
    assert "never started" in never.error and "is a worker running?" in never.error


def test_an_inconclusive_check_is_shown_as_such(merchant_client, mapping):
    ConnectivityRunFactory(
        store=mapping.store,
        status=RunStatus.INCONCLUSIVE,
        checks=[
            {
                "key": "connector:scan",
                "name": "ResolveScan (loyalty)",
                "status": "INCONCLUSIVE",
                "diagnosis": "The gateway answers and asks for Amazon's signature",
            }
        ],
    )
    page = merchant_client.get(_url(mapping)).content.decode()
    assert '<span class="badge status-review">Inconclusive</span>' in page
    assert 'id="run-status">Inconclusive</span>' in page
