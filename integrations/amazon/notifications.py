"""Catalog upload-result notifications: Amazon's SNS topic delivers them to the retailer's SQS
queue. The message body is not in the public pages, so parsing is
tolerant: an SNS envelope whose ``Message`` is a JSON string (or raw delivery, the message
itself), with ``ingestionId``, ``processingStatus`` and ``reportDownloadLink`` read under either
camelCase or snake_case. Subscription confirmations are confirmed through their SubscribeURL."""

import json
import logging
from dataclasses import dataclass
from typing import Any

import boto3
import requests
from django.conf import settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UploadNotification:
    receipt_handle: str
    ingestion_id: str | None
    processing_status: str | None
    report_link: str | None


def _pick(data: dict[str, Any], *names: str) -> str | None:
    for name in names:
        if data.get(name):
            return str(data[name])
    return None


def parse(body: str) -> tuple[str, dict[str, Any]]:
    """(kind, message): kind is the SNS Type ("Notification", "SubscriptionConfirmation") or
    "Raw" for raw delivery."""
    try:
        outer = json.loads(body)
    except ValueError:
        return "Unreadable", {}
    if not isinstance(outer, dict):
        return "Unreadable", {}
    kind = outer.get("Type")
    if kind == "SubscriptionConfirmation":
        return kind, outer
    if kind == "Notification":
        inner = outer.get("Message")
        try:
            message = json.loads(inner) if isinstance(inner, str) else inner
        except ValueError:
            return "Unreadable", {}
        return kind, message if isinstance(message, dict) else {}
    return "Raw", outer


class CatalogNotificationQueue:
    def __init__(self, *, queue_url: str | None = None, endpoint_url: str | None = None) -> None:
        endpoint = endpoint_url or settings.JWO_CATALOG_SQS_ENDPOINT_URL or None
        # The sandbox's queue (moto) takes any key; Amazon's takes boto3's chain.
        keys = (
            {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}
            if settings.JWO_SANDBOX and endpoint
            else {}
        )
        self.sqs = boto3.client(
            "sqs", endpoint_url=endpoint, region_name=settings.JWO_REGION, **keys
        )
        self.queue_url = queue_url or settings.JWO_CATALOG_SQS_QUEUE_URL
        if not self.queue_url and settings.JWO_CATALOG_SQS_QUEUE_NAME:
            self.queue_url = self.sqs.create_queue(QueueName=settings.JWO_CATALOG_SQS_QUEUE_NAME)[
                "QueueUrl"
            ]

    def receive(self, *, wait_seconds: int = 1, max_messages: int = 10) -> list[UploadNotification]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max_messages,
            WaitTimeSeconds=wait_seconds,
        )
        notes = []
        for raw in response.get("Messages", []):
            kind, message = parse(raw.get("Body", ""))
            if kind == "SubscriptionConfirmation":
                url = message.get("SubscribeURL")
                if url:
                    requests.get(url, timeout=10)
                    logger.info("catalog notifications: subscription confirmed")
                self.delete(raw["ReceiptHandle"])
                continue
            notes.append(
                UploadNotification(
                    receipt_handle=raw["ReceiptHandle"],
                    ingestion_id=_pick(message, "ingestionId", "ingestion_id"),
                    processing_status=_pick(message, "processingStatus", "processing_status"),
                    report_link=_pick(message, "reportDownloadLink", "report_download_link"),
                )
            )
        return notes

    def delete(self, receipt_handle: str) -> None:
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt_handle)
