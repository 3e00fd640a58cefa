"""One error tree for every Amazon call.

- ``AmazonTransientError``: timeouts, connection failures, 429 and 5xx. Worth trying again
  later; ``retry_after`` carries Amazon's ``Retry-After`` (seconds) when it sent one.
- ``AmazonRejectedError``: a 4xx other than 403/429. Amazon read the request and refused it;
  sending it again unchanged will not help. ``error_msg`` is Amazon's ``errorMsg``.
- ``AmazonAuthError``: 401/403 from the gateway (signature, IAM permission, not onboarded).
"""

from typing import Any


class AmazonError(Exception):
    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        http_status: int | None = None,
        error_msg: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.http_status = http_status
        self.error_msg = error_msg
        self.body = body


class AmazonTransientError(AmazonError):
    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class AmazonRejectedError(AmazonError):
    pass


class AmazonAuthError(AmazonError):
    pass


class AmazonConfigurationError(AmazonError):
    """A base URL or credential is missing: found on first use, before anything is sent."""
