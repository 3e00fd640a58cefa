"""Console pages a merchant asked to be clearer: gate activity by store name, the 403 page."""

import pytest
from django.utils import timezone

from shoppers.models import GateDecision
from tests.factories import JwoStoreMappingFactory

pytestmark = pytest.mark.django_db


def test_gate_activity_names_the_store_and_filters_by_it(staff_client):
    mapping = JwoStoreMappingFactory(store__name="Arena Market", jwo_store_id="jwo-arena-77")
    for n, store_id in enumerate(["jwo-arena-77", "jwo-gone-1"]):
        GateDecision.objects.create(
            jwo_store_id=store_id,
            auth_event_id=f"evt-{n}",
            entry="APP",
            admitted=True,
            reason="ADMITTED",
            event_time=timezone.now(),
        )
    page = staff_client.get("/shoppers/gate-activity/").content.decode()
    table = page[page.index('id="decisions"') :]
    assert "<td>Arena Market</td>" in table and "jwo-arena-77" not in table
    assert "unmapped" in table and "jwo-gone-1" in table  # a decision of a store since unmapped
    assert f'<option value="{mapping.jwo_store_id}" >Arena Market</option>' in page
    filtered = staff_client.get("/shoppers/gate-activity/", {"store": "jwo-arena-77"})
    assert [d.jwo_store_id for d in filtered.context["page"].object_list] == ["jwo-arena-77"]


def test_a_refused_page_is_inside_the_console_with_its_navigation(staff_client):
    response = staff_client.get("/pricing/promotions/new/")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'nav class="sidenav"' in page and "You may not do this" in page
    assert "Staff" in page  # the role that was refused


def test_a_refused_portal_or_connector_request_keeps_its_own_shape(client):
    response = client.post("/shoppers/app/scan-key-code")
    assert response.status_code in (401, 403)
    assert "sidenav" not in response.content.decode()


def test_no_template_reads_items_keys_or_values():
    """``{% for k, v in x.items %}`` breaks when ``x`` holds a key named "items" (the order
    page's "created" event did: a 500 on every order). Such values are read in the view."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    pattern = re.compile(r"\{[{%][^}]*\.(items|keys|values)\b[^}]*[}%]\}")
    found = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in root.glob("*/templates/**/*.html")
        if ".venv" not in path.parts
        for match in pattern.finditer(path.read_text())
    ]
    found += [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in (root / "templates").glob("**/*.html")
        for match in pattern.finditer(path.read_text())
    ]
    assert found == []
