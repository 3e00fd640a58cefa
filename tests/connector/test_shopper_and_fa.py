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


# -- the store's F&A policy ---------------------------------------------------------------------
def test_an_expired_card_is_denied_by_default(client, mapping):
    answer = post(client, URL_FA, fa_body(risks=["ExpiredCard"])).json()
    assert (answer["shopperAuthorized"], answer["decision"]) == (False, "DENIED")
    decision = GateDecision.objects.get()
    assert decision.reason == "RISK_DENIED" and decision.risks == ["ExpiredCard"]


def test_a_risk_the_store_adjusts_answers_a_reduced_preauth(client, mapping):
    mapping.fa_expired_card, mapping.fa_expired_card_preauth = "ADJUST", Decimal("10.00")
    mapping.fa_bad_debt, mapping.fa_bad_debt_preauth = "ADJUST", Decimal("5.00")
    mapping.save()
    answer = post(client, URL_FA, fa_body(risks=["ExpiredCard"])).json()
    assert answer == {
        "shopperAuthorized": True,
        "decision": "APPROVED",
        "authorizationConditions": [
            {"type": "ADJUST", "amount": {"value": 10.0, "currencyCode": "USD"}}
        ],
    }
    decision = GateDecision.objects.get()
    assert (decision.reason, decision.authorized_amount, decision.authorized_source) == (
        "RISK_ADJUSTED",
        Decimal("10.00"),
        "fa_adjust",
    )
    assert decision.detail == "Amazon reports ExpiredCard; pre-auth 10.00 instead of 25.00"
    # two adjusted risks: the lower pre-auth; a denied one among them: denied
    both = post(client, URL_FA, fa_body(risks=["ExpiredCard", "BadDebt"])).json()
    assert both["authorizationConditions"][0]["amount"]["value"] == 5.0
    denied = post(client, URL_FA, fa_body(risks=["ExpiredCard", "CustomerFraud"])).json()
    assert denied["decision"] == "DENIED"


def test_a_risk_the_store_approves_is_admitted_with_the_reason(client, mapping):
    mapping.fa_bad_debt = "APPROVE"
    mapping.save()
    answer = post(client, URL_FA, fa_body(risks=["BadDebt"])).json()
    assert (answer["decision"], answer["authorizationConditions"]) == ("APPROVED", [])
    decision = GateDecision.objects.get()
    assert decision.detail == "Amazon reports BadDebt; the store admits it"
    assert (decision.authorized_amount, decision.authorized_source) == (
        Decimal("25.00"),
        "fa_approve",
    )


@pytest.mark.parametrize("value", [-5, 0, "-0.01", 0.001])
def test_a_negative_or_zero_authorized_amount_is_a_400(client, mapping, value):
    body = fa_body()
    body["authorizedAmount"]["value"] = value
    response = post(client, URL_FA, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "authorizedAmount.value"
    assert GateDecision.objects.count() == 0


def test_an_unknown_risk_is_a_400_naming_the_allowed_values(client, mapping):
    response = post(client, URL_FA, fa_body(risks=["Sneaky"]))
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "shopperInteraction.recommendation.shopperRisks[0]"
    assert "InvalidCard, ExpiredCard, CustomerFraud, BadDebt" in error["error"]


def test_gate_activity_shows_the_decision_its_reason_and_preauth(client, mapping, merchant):
    mapping.fa_expired_card, mapping.fa_expired_card_preauth = "ADJUST", Decimal("10.00")
    mapping.save()
    post(client, URL_FA, fa_body(risks=["ExpiredCard"]))
    post(client, URL_FA, fa_body(risks=["CustomerFraud"]))
    client.force_login(merchant)
    page = client.get("/shoppers/gate-activity/").content.decode()
    assert "Admitted with a reduced pre-auth (risk)" in page
    assert "pre-auth 10.00 instead of 25.00" in page
    assert "10.00 USD" in page
    assert "Amazon reports a risk the store denies" in page
