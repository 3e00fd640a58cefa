"""A bounded schemathesis run against /v1/openapi.json, in process (WSGI), with the shared
secret: every generated request gets an answer the document declares (status code, JSON content
type, body schema) and none is a server error. Half of the bodies name a mapped store, so the
run reaches past the store check into each endpoint's validation and handler.

One pytest item per operation, each with its own id: schemathesis' own ``schema.parametrize()``
gives the six operations one node id, and pytest-xdist (``make test`` runs on two workers)
keeps only one item per id, so five operations went untested."""

import zlib

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from connector.openapi import openapi_document
from jwo_console.wsgi import application
from tests.factories import JwoStoreMappingFactory

SECRET = "test-connector-secret"
schema = schemathesis.openapi.from_dict(openapi_document())
schema.app = application  # call through Django's WSGI handler, no server
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def mapped_store(sandbox):
    """A mapped store (its loyalty provider played by the sandbox on a live server: ResolveScan
    calls it), and Django's WSGI handler kept from closing the test's connection after
    each request (as Django's own test client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield JwoStoreMappingFactory(jwo_store_id="jwo-schema-1", fa_strategy="RETAILER_MANAGED")
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


OPERATIONS = [result.ok() for result in schema.get_all_operations()]


def test_every_endpoint_of_the_document_is_fuzzed():
    assert {operation.label for operation in OPERATIONS} >= {
        "POST /v1/identity/identity-keys",
        "POST /v1/identity/shopper",
        "POST /v1/identity/scan",
        "POST /v1/identity/scan/details",
        "POST /v1/fraudandabuse/shopperauthorization",
        "POST /v1/order/purchases",
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_the_connector_answers_as_its_openapi_document_says(operation, mapped_store):
    @given(case=operation.as_strategy())
    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case):
        if isinstance(case.body, dict) and zlib.crc32(repr(case.body).encode()) % 2 == 0:
            case.body["storeId"] = "jwo-schema-1"
        case.call_and_validate(
            headers={"X-JWO-Connector-Secret": SECRET},
            checks=CHECKS,
            app=application,
        )

    answers_as_documented()
