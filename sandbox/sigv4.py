"""Checks the AWS SigV4 signature of a request, as Amazon's API Gateway does.

Independent of the signer the console uses (requests-aws4auth): the canonical request and the
signature are computed with botocore's SigV4Auth over exactly the headers the caller signed,
the body's SHA-256 is checked against the bytes received, and the request date must be within
15 minutes.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?"
    r"Signature=(?P<sig>[0-9a-f]{64})$"
)
MAX_SKEW = timedelta(minutes=15)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""


def verify(
    *,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
    region: str,
    service: str = "execute-api",
    now: datetime | None = None,
) -> Verdict:
    lower = {k.lower(): v for k, v in headers.items()}
    match = _AUTH.match(lower.get("authorization", ""))
    if not match:
        return Verdict(False, "Missing Authentication Token")
    if match["key"] != access_key:
        return Verdict(False, "The security token included in the request is invalid.")
    if match["region"] != region or match["service"] != service:
        return Verdict(False, f"Credential should be scoped to a valid region ({region}).")
    amz_date = lower.get("x-amz-date", "")
    try:
        when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return Verdict(False, "Missing or malformed X-Amz-Date.")
    if abs((now or datetime.now(UTC)) - when) > MAX_SKEW or match["date"] != amz_date[:8]:
        return Verdict(False, "Signature expired.")
    declared = lower.get("x-amz-content-sha256")
    if declared is not None and declared != hashlib.sha256(body).hexdigest():
        return Verdict(False, "The body does not match the signed payload hash.")

    signed = match["signed"].split(";")
    if "host" not in signed:
        return Verdict(False, "The host header must be signed.")
    missing = [h for h in signed if h not in lower]
    if missing:
        return Verdict(False, f"Signed header missing: {missing[0]}")
    request = AWSRequest(method=method, url=url, data=body, headers={h: lower[h] for h in signed})
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(access_key, secret_key), service, region)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, match["sig"]):
        return Verdict(
            False,
            "The request signature we calculated does not match the signature you provided.",
        )
    return Verdict(True)
