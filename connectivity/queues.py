"""The SQS queues the console reads, checked without taking a message from anyone.

- the catalog upload notifications (integrations/amazon/notifications.py; with none configured,
  results come by polling GetCatalogUploadStatus, and the check says so);
- Amazon's intra-day file notifications and the event queue (feeds/intraday.py,
  feeds/events.py), listed only when configured.

A check asks for the queue's attributes (GetQueueAttributes: reachable, the credentials
allowed, how many messages wait) and, only when nothing waits, receives with a visibility
timeout of 0 (ReceiveMessage allowed; a message arriving at that instant is visible again at
once). One attempt, short timeouts: a hang is the answer.
"""

from dataclasses import dataclass

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from django.conf import settings

from .choices import CheckStatus


@dataclass(frozen=True)
class Queue:
    key: str
    name: str
    url: str
    queue_name: str
    endpoint: str

    @property
    def target(self) -> str:
        return self.url or (f"queue {self.queue_name}" if self.queue_name else "not configured")


@dataclass(frozen=True)
class QueueOutcome:
    status: str
    diagnosis: str
    detail: str = ""
    target: str = ""


def _queues() -> dict[str, Queue]:
    return {
        "catalog": Queue(
            "catalog",
            "Catalog upload notifications (SQS)",
            settings.JWO_CATALOG_SQS_QUEUE_URL,
            settings.JWO_CATALOG_SQS_QUEUE_NAME,
            settings.JWO_CATALOG_SQS_ENDPOINT_URL,
        ),
        "intraday": Queue(
            "intraday",
            "Intra-day file notifications (SQS)",
            settings.JWO_INTRADAY_SQS_QUEUE_URL,
            settings.JWO_INTRADAY_SQS_QUEUE_NAME,
            settings.JWO_REPORTING_SQS_ENDPOINT_URL,
        ),
        "events": Queue(
            "events",
            "Event feed queue (SQS)",
            settings.JWO_EVENT_SQS_QUEUE_URL,
            settings.JWO_EVENT_SQS_QUEUE_NAME,
            settings.JWO_REPORTING_SQS_ENDPOINT_URL,
        ),
    }


def _configured(queue: Queue) -> bool:
    return bool(queue.url or queue.queue_name)


def planned() -> list[Queue]:
    """The catalog's queue always (its absence is worth saying), the others when configured."""
    return [q for q in _queues().values() if q.key == "catalog" or _configured(q)]


def _client(queue: Queue):
    endpoint = queue.endpoint or None
    # The sandbox's queues (moto) take any key; Amazon's take boto3's chain (as the readers do).
    keys = (
        {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}
        if settings.JWO_SANDBOX and endpoint
        else {}
    )
    timeouts = Config(
        connect_timeout=settings.JWO_HTTP_CONNECT_TIMEOUT,
        read_timeout=settings.JWO_HTTP_READ_TIMEOUT,
        retries={"max_attempts": 1, "mode": "standard"},
    )
    return boto3.client(
        "sqs", endpoint_url=endpoint, region_name=settings.JWO_REGION, config=timeouts, **keys
    )


def _url_by_name(sqs, name: str) -> str:
    """As the readers find it (feeds/aws.py ``queue_url``): the sandbox creates its queue."""
    if settings.JWO_SANDBOX:
        return sqs.create_queue(QueueName=name)["QueueUrl"]
    return sqs.get_queue_url(QueueName=name)["QueueUrl"]


NETWORK = (
    "a network problem between this server and SQS: check the endpoint, DNS, firewalls or "
    "security groups (a VPC endpoint for SQS, if the server has no internet route)"
)


def check(key: str) -> QueueOutcome:
    queue = _queues()[key]
    if not _configured(queue):
        return QueueOutcome(
            CheckStatus.SKIPPED,
            "No queue configured (JWO_CATALOG_SQS_QUEUE_URL): upload results come by polling "
            "GetCatalogUploadStatus instead, a little later.",
        )
    try:
        sqs = _client(queue)
        url = queue.url or _url_by_name(sqs, queue.queue_name)
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        ).get("Attributes", {})
        waiting = int(attributes.get("ApproximateNumberOfMessages", 0))
        in_flight = int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))
        if not waiting and not in_flight:
            sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=0, VisibilityTimeout=0
            )
    except (ConnectTimeoutError, ReadTimeoutError) as exc:
        return QueueOutcome(CheckStatus.FAILED, "No answer in time (timeout): " + NETWORK, str(exc))
    except EndpointConnectionError as exc:
        return QueueOutcome(
            CheckStatus.FAILED,
            "Could not connect (refused or host not found): " + NETWORK,
            str(exc),
        )
    except NoCredentialsError as exc:
        return QueueOutcome(
            CheckStatus.FAILED,
            "No AWS credentials to read the queue: set the key pair, a profile or an instance "
            "role (boto3's chain).",
            str(exc),
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if "NonExistentQueue" in code or code == "QueueDoesNotExist" or status == 404:
            diagnosis = "The queue does not exist here: check its URL or name, and the region."
        elif status in (401, 403) or "AccessDenied" in code or "InvalidClientTokenId" in code:
            diagnosis = (
                f"SQS refused (HTTP {status}): the role or the credentials may not read this "
                "queue — sqs:GetQueueAttributes and sqs:ReceiveMessage on it, and kms:Decrypt "
                "for an encrypted queue."
            )
        elif status and status >= 500:
            diagnosis = f"SQS failed (HTTP {status}): Amazon's side; try again later."
        else:
            diagnosis = f"SQS refused the call ({code or status})."
        return QueueOutcome(CheckStatus.FAILED, diagnosis, f"{code}: {exc}"[:500])
    except (BotoCoreError, ValueError) as exc:
        return QueueOutcome(CheckStatus.FAILED, f"The queue could not be read: {exc}", str(exc))
    return QueueOutcome(
        CheckStatus.OK,
        "Readable: the credentials may read it.",
        f"{waiting} message(s) waiting, {in_flight} being read",
        target=url,
    )
