from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import simplejson

from integrations.amazon import config
from integrations.amazon.errors import AmazonConfigurationError
from integrations.amazon.money import CheckoutMoney, PaymentMoney, to_decimal, two_places


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("2.345", "2.35"), ("2.344", "2.34"), ("-2.345", "-2.35"), ("0.005", "0.01"), ("10", "10.00")],
)
def test_two_places_rounds_half_up(amount, expected):
    assert two_places(Decimal(amount)) == Decimal(expected)


def test_payment_money_is_a_json_number_and_checkout_money_a_string():
    wire = simplejson.dumps(PaymentMoney(Decimal("15.999"), "USD").to_wire(), use_decimal=True)
    assert wire == '{"amount": 16.00, "code": "USD"}'
    assert CheckoutMoney(Decimal("0.1"), "USD").to_wire() == {
        "amount": "0.10",
        "currencyCode": "USD",
    }


def test_floats_never_pass():
    with pytest.raises(TypeError):
        to_decimal(0.1)
    with pytest.raises(TypeError):
        two_places(0.1)
    assert PaymentMoney.from_wire({"amount": Decimal("25.50"), "code": "USD"}).amount == Decimal(
        "25.50"
    )


def test_amazon_hosts_by_environment(settings):
    settings.JWO_SANDBOX = False
    settings.JWO_PAYMENTS_URL = settings.JWO_CHECKOUT_URL = settings.JWO_CATALOG_URL = ""
    settings.JWO_REGION = "us-west-2"
    settings.JWO_ENVIRONMENT = "test"
    assert config.base_url("payments") == "https://us-west-2.test.payments.amazonphysicalstores.com"
    settings.JWO_ENVIRONMENT = "production"
    assert config.base_url("checkout") == "https://us-west-2.checkout.amazonphysicalstores.com"
    with pytest.raises(AmazonConfigurationError, match="JWO_CATALOG_URL"):
        config.base_url("catalog")
    settings.JWO_CATALOG_URL = "https://catalog.example/prod/"
    assert config.base_url("catalog") == "https://catalog.example/prod"


def test_assumed_role_credentials_refresh_before_they_expire(settings, monkeypatch):
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "base-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "base-secret")
    settings.JWO_SANDBOX = False
    settings.JWO_ROLE_ARN = "arn:aws:iam::123456789012:role/jwo-console"
    config.credentials.cache_clear()
    with mock_aws():
        creds = config.credentials()
        first = creds.get_frozen_credentials()
        assert first.token and first.access_key != "base-key"
        assert creds.method == "sts-assume-role"
        # Within botocore's advisory window before expiry, the next use fetches new ones.
        creds._expiry_time = datetime.now(UTC) + timedelta(minutes=5)
        second = creds.get_frozen_credentials()
        assert second.access_key != first.access_key
    config.credentials.cache_clear()


def test_temporary_credentials_send_a_security_token(settings, monkeypatch):
    from botocore.credentials import Credentials

    from integrations.amazon.transport import AmazonTransport

    settings.JWO_SANDBOX = True
    settings.JWO_PAYMENTS_URL = "http://127.0.0.1:9/never-called"
    monkeypatch.setattr(config, "credentials", lambda: Credentials("AKID", "secret", "TOKEN123"))
    transport = AmazonTransport("payments")
    import requests

    prepared = requests.Request(
        "POST", "http://127.0.0.1:9/x", data=b"{}", auth=transport.auth
    ).prepare()
    assert prepared.headers["X-Amz-Security-Token"] == "TOKEN123"
    assert prepared.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKID/")
    assert "/us-east-1/execute-api/aws4_request" in prepared.headers["Authorization"]
