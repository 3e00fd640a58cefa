"""boto3 clients for Amazon's reporting bucket and the retailer's queues. With the sandbox on
and an endpoint set (moto, started by ``make run``), any key pair is accepted; otherwise boto3's
credential chain is used (``kms:Decrypt`` is transparent to GetObject)."""

import boto3
from botocore.config import Config
from django.conf import settings


def _keys(endpoint: str | None) -> dict[str, str]:
    if settings.JWO_SANDBOX and endpoint:
        return {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}
    return {}


def s3_client():
    endpoint = settings.JWO_INTRADAY_S3_ENDPOINT_URL or None
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=settings.JWO_REGION,
        config=Config(s3={"addressing_style": "path"}) if endpoint else None,
        **_keys(endpoint),
    )


def sqs_client():
    endpoint = settings.JWO_REPORTING_SQS_ENDPOINT_URL or None
    return boto3.client(
        "sqs", endpoint_url=endpoint, region_name=settings.JWO_REGION, **_keys(endpoint)
    )


def queue_url(sqs, *, url: str, name: str) -> str:
    """The queue's URL as configured, or looked up by name (created under the sandbox)."""
    if url:
        return url
    if settings.JWO_SANDBOX:
        return sqs.create_queue(QueueName=name)["QueueUrl"]
    return sqs.get_queue_url(QueueName=name)["QueueUrl"]
