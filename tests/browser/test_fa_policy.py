"""The store's F&A policy on the mapping page, and its decisions in Gate activity, in Chromium."""

import uuid

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from shoppers.models import GateDecision
from stores.models import JwoStoreMapping
from tests.factories import PASSWORD, JwoStoreMappingFactory, StoreFactory, merchant_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_merchant_sets_a_reduced_preauth_for_expired_cards_and_sees_it_at_the_gate(
    page: Page, login, shot, live_server
):
    merchant_admin(username="fiona")
    mapping = JwoStoreMappingFactory(
        store=StoreFactory(name="Card Corner"),
        jwo_store_id="jwo-fa-browser",
        fa_strategy="RETAILER_MANAGED",
    )
    login("fiona", PASSWORD, "/settings/integrations/jwo/")
    page.get_by_role("link", name="Edit Card Corner").click()
    page.get_by_label("F&A: expired card", exact=True).select_option(
        label="Admit with a reduced pre-auth"
    )
    page.get_by_role("button", name="Save").click()
    # the amount is missing: said next to the field, nothing saved
    expect(page.get_by_text("Give the reduced pre-auth for this risk.")).to_be_visible()
    page.get_by_label("F&A: expired card pre-auth").fill("10.00")
    page.get_by_label("Associates' trips").select_option(label="Charge as usual")
    shot("jwo-mapping-fa-policy")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".msg-success")).to_contain_text("Saved the mapping of Card Corner")
    mapping = JwoStoreMapping.objects.get(pk=mapping.pk)
    assert mapping.fa_policy("ExpiredCard") == ("ADJUST", 10)
    assert mapping.associate_trips == "CHARGE"

    # Amazon asks about a card with an expired-card risk: admitted with the reduced pre-auth
    body = {
        "storeId": "jwo-fa-browser",
        "shopperIdentity": {"id": "amzn-card-browser"},
        "authorizedAmount": {"value": 25.0, "currencyCode": "USD"},
        "shopperInteraction": {
            "shoppingTripId": str(uuid.uuid4()),
            "gateAuthenticationEvent": {
                "id": str(uuid.uuid4()),
                "type": "CREDIT_CARD",
                "timestamp": timezone.now().isoformat(),
            },
            "recommendation": {"shopperRisks": ["ExpiredCard"]},
        },
    }
    answer = Client().post(
        "/v1/fraudandabuse/shopperauthorization",
        body,
        content_type="application/json",
        HTTP_X_JWO_CONNECTOR_SECRET="test-connector-secret",
    )
    assert answer.json()["authorizationConditions"][0]["amount"]["value"] == 10.0
    assert GateDecision.objects.get().reason == "RISK_ADJUSTED"
    page.goto(f"{live_server.url}/shoppers/gate-activity/")
    row = page.locator("#decisions tbody tr").first
    expect(row).to_contain_text("Admitted with a reduced pre-auth (risk)")
    expect(row).to_contain_text("10.00 USD")
    expect(row).to_contain_text("pre-auth 10.00 instead of 25.00")
    shot("gate-activity-fa-adjust")
