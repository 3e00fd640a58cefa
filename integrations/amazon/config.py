"""Where each Amazon service lives and which credentials sign the calls. Checked on first use.

Base URL of a service, in this order:
1. the explicit setting (``JWO_CATALOG_URL``, ``JWO_PAYMENTS_URL``, ``JWO_CHECKOUT_URL``,
   ``JWO_FEEDBACK_URL``);
2. the sandbox (``JWO_SANDBOX_URL`` + ``/<service>``) when ``JWO_SANDBOX`` is on;
3. Amazon's regional host. The contract shows only the *test* hosts of the Payment and
   Checkout services (``https://{region}.test.payments.amazonphysicalstores.com``; the
   production host is the same without ``.test``, which the contract marks as derived).
   ``JWO_ENVIRONMENT`` (``test`` or ``production``) picks one. The catalog and feedback hosts
   are handed over at onboarding and are not in the public pages, so for those an explicit
   URL is required and its absence is a configuration error, not a guess.

Credentials: with the sandbox on (and ``JWO_USE_AWS_CREDENTIALS`` off) the sandbox's own
key pair (``JWO_SANDBOX_ACCESS_KEY_ID`` / ``JWO_SANDBOX_SECRET_ACCESS_KEY``), so ``make run``
works with nothing set. Otherwise boto3's chain; when ``JWO_ROLE_ARN`` is set, that role is
assumed through STS and the temporary credentials are refreshed before they expire.
"""

import functools
from dataclasses import dataclass

import boto3
from botocore.credentials import Credentials, RefreshableCredentials
from django.conf import settings

from .errors import AmazonConfigurationError

SERVICES = ("catalog", "payments", "checkout", "feedback")
_SETTING = {
    "catalog": "JWO_CATALOG_URL",
    "payments": "JWO_PAYMENTS_URL",
    "checkout": "JWO_CHECKOUT_URL",
    "feedback": "JWO_FEEDBACK_URL",
}
_AMAZON_HOSTS = {
    "payments": "https://{region}{test}.payments.amazonphysicalstores.com",
    "checkout": "https://{region}{test}.checkout.amazonphysicalstores.com",
}


@dataclass(frozen=True)
class ServiceConfig:
    service: str
    base_url: str
    region: str
    connect_timeout: float
    read_timeout: float
    max_attempts: int
    max_inline_retry_after: float


def base_url(service: str) -> str:
    explicit = getattr(settings, _SETTING[service], "")
    if explicit:
        return explicit.rstrip("/")
    if settings.JWO_SANDBOX:
        return f"{settings.JWO_SANDBOX_URL.rstrip('/')}/{service}"
    template = _AMAZON_HOSTS.get(service)
    if template is None:
        raise AmazonConfigurationError(
            f"{_SETTING[service]} is not set. Amazon hands over the {service} invoke URL at "
            "onboarding; it is not derivable from the region."
        )
    test = ".test" if settings.JWO_ENVIRONMENT != "production" else ""
    return template.format(region=settings.JWO_REGION, test=test)


def source_setting(service: str) -> str:
    """The setting ``base_url`` took the service's URL from (for a diagnosis naming it)."""
    if getattr(settings, _SETTING[service], ""):
        return _SETTING[service]
    if settings.JWO_SANDBOX:
        return "JWO_SANDBOX_URL"
    return "JWO_REGION / JWO_ENVIRONMENT"


def service_config(service: str) -> ServiceConfig:
    return ServiceConfig(
        service=service,
        base_url=base_url(service),
        region=settings.JWO_REGION,
        connect_timeout=settings.JWO_HTTP_CONNECT_TIMEOUT,
        read_timeout=settings.JWO_HTTP_READ_TIMEOUT,
        max_attempts=settings.JWO_HTTP_MAX_ATTEMPTS,
        max_inline_retry_after=settings.JWO_HTTP_MAX_INLINE_RETRY_AFTER,
    )


def _assume_role(role_arn: str, region: str) -> RefreshableCredentials:
    sts = boto3.Session().client(
        "sts", region_name=region, endpoint_url=settings.JWO_STS_ENDPOINT_URL or None
    )

    def fetch() -> dict[str, str]:
        response = sts.assume_role(
            RoleArn=role_arn, RoleSessionName="jwo-console", DurationSeconds=3600
        )
        creds = response["Credentials"]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": creds["Expiration"].isoformat(),
        }

    # botocore refreshes these before they expire (advisory window of 15 minutes).
    return RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="sts-assume-role"
    )


@functools.lru_cache(maxsize=1)
def credentials() -> Credentials:
    """The credentials that sign every call (cached per process; refreshable ones refresh)."""
    if settings.JWO_SANDBOX and not settings.JWO_USE_AWS_CREDENTIALS:
        return Credentials(
            settings.JWO_SANDBOX_ACCESS_KEY_ID, settings.JWO_SANDBOX_SECRET_ACCESS_KEY
        )
    if settings.JWO_ROLE_ARN:
        return _assume_role(settings.JWO_ROLE_ARN, settings.JWO_REGION)
    found = boto3.Session().get_credentials()
    if found is None:
        raise AmazonConfigurationError(
            "No AWS credentials: set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, "
            "or an instance role (boto3's chain), and JWO_ROLE_ARN if a role is to be assumed."
        )
    return found
