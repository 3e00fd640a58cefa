"""The sandbox's e-mail backend: every message is kept for the Outbox page (Sandbox → Outbox)
and handed on to the backend configured in ``SANDBOX_EMAIL_DELEGATE_BACKEND`` (the terminal in
``make run``), so nothing changes for whoever reads mail there."""

import logging

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)


class OutboxBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs) -> None:
        super().__init__(fail_silently=fail_silently)
        delegate = getattr(settings, "SANDBOX_EMAIL_DELEGATE_BACKEND", "")
        self.delegate = (
            get_connection(delegate, fail_silently=fail_silently, **kwargs)
            if delegate and not delegate.endswith("OutboxBackend")
            else None
        )

    def send_messages(self, email_messages) -> int:
        from .models import SandboxEmail

        for message in email_messages:
            html = next(
                (c for c, mime in getattr(message, "alternatives", []) if mime == "text/html"), ""
            )
            try:
                SandboxEmail.objects.create(
                    from_email=message.from_email or "",
                    to=", ".join(message.to)[:1000],
                    subject=(message.subject or "")[:500],
                    body=message.body or "",
                    html=html,
                )
            except Exception:  # the outbox is a convenience: never lose the mail for it
                logger.exception("sandbox outbox could not keep an e-mail")
        if self.delegate is not None:
            return self.delegate.send_messages(email_messages)
        return len(email_messages)
