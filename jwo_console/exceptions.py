"""One domain exception tree.

Services raise ``ApplicationError`` subclasses; views turn them into messages, the API into one
JSON shape.
"""

from typing import Any


class ApplicationError(Exception):
    """A rule of the domain refused an action. ``message`` is safe to show to the user."""

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class ConflictError(ApplicationError):
    """The action collides with existing data (a unique rule, a concurrent change)."""
