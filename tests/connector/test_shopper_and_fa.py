import base64
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from shoppers.models import GateDecision, LedgerEntry, Shopper
from shoppers.services import scan_key_issue
from tests.factories import JwoStoreMappingFactory

SECRET = "test-connector-secret"
pytestmark = pytest.mark.django_db


@pytest.fixture
def mapping():
    return JwoStoreMappingFactory(jwo_store_id="jwo-fa-1", fa_strategy="RETAILER_MANAGED")


def post(client, url, body):
    return client.post(
        url, body, content_type="application/json", HTTP_X_JWO_CONNECTOR_SECRET=SECRET
    )


def fa_body(card="amzn-card-1", event_id=None, risks=()):
    return {
        "storeId": "jwo-fa-1",
        "shopperIdentity": {"id": card},
        "authorizedAmount": {"value": 25.0, "currencyCode": "USD"},
        "shopperInteraction": {
            "shoppingTripId": str(uuid.uuid4()),
            "gateAuthenticationEvent": {
                "id": event_id or str(uuid.uuid4()),
                "type": "CREDIT_CARD",
                "interactionType": "TAP",
                "timestamp": timezone.now().isoformat(),
                "location": "ENTRY",
            },
            "recommendation": {"shopperAuthorized": True, "shopperRisks": list(risks)},
        },
    }


URL_FA = "/v1/fraudandabuse/shopperauthorization"


def test_a_card_that_owes_nothing_is_approved(client, mapping):
    response = post(client, URL_FA, fa_body())
    assert response.status_code == 200
    assert response.json() == {
        "shopperAuthorized": True,
        "decision": "APPROVED",
        "authorizationConditions": [],
    }
    decision = GateDecision.objects.get()
    assert (decision.entry, decision.admitted) == ("CARD", True)


def test_a_card_that_owes_money_or_that_amazon_flags_is_denied(client, mapping):
    LedgerEntry.objects.create(card_token="amzn-card-debt", kind="DEBT", amount=Decimal("9.99"))
    owed = post(client, URL_FA, fa_body(card="amzn-card-debt")).json()
    assert (owed["shopperAuthorized"], owed["decision"]) == (False, "DENIED")
    fraud = post(client, URL_FA, fa_body(risks=["CustomerFraud"])).json()
    assert fraud["decision"] == "DENIED"
    reasons = dict(GateDecision.objects.values_list("reason", "detail"))
    assert reasons == {
        "OUTSTANDING_DEBT": "card owes 9.99",
        "RISK_DENIED": "Amazon reports CustomerFraud; the store denies it",
    }


def test_fa_contract_errors_name_the_field(client, mapping):
    body = fa_body()
    del body["shopperInteraction"]["gateAuthenticationEvent"]["timestamp"]
    body["authorizedAmount"]["currencyCode"] = "usd"
    response = post(client, URL_FA, body)
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {
        "authorizedAmount.currencyCode",
        "shopperInteraction.gateAuthenticationEvent.timestamp",
    }


def test_get_shopper_resolves_a_scan_key_for_an_associate(client, mapping):
    shopper = Shopper.objects.create(email="pat@example.com")
    code = base64.b64encode(scan_key_issue(shopper=shopper).code.encode()).decode()
    body = {
        "requestId": str(uuid.uuid4()),
        "shopperKey": code,
        "shopperKeyType": "QR_CODE",
        "storeId": "jwo-fa-1",
        "timestamp": timezone.now().isoformat(),
    }
    response = post(client, "/v1/identity/shopper", body)
    assert response.status_code == 200
    assert response.json()["visitorDetails"]["id"] == str(shopper.public_id)
    unknown = {
        **body,
        "requestId": str(uuid.uuid4()),
        "shopperKey": base64.b64encode(b"JWOA0000000" + b"a" * 32).decode(),
    }
    assert post(client, "/v1/identity/shopper", unknown).status_code == 401
    phone = {**body, "requestId": str(uuid.uuid4()), "shopperKeyType": "PHONE_NUMBER"}
    response = post(client, "/v1/identity/shopper", phone)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "shopperKeyType"
