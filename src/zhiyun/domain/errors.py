"""Errors raised by the domain rules; the faces map them to HTTP statuses and CLI exits."""

from __future__ import annotations

from collections.abc import Iterable


class DomainError(Exception):
    """A rule of the domain refused an operation. `code` is stable and machine readable."""

    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, object] = dict(details)


class ValidationFailed(DomainError):
    """Input that breaks a rule of form (missing reason, bad date, unknown unit)."""

    code = "validation_failed"
    http_status = 422


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know that it exists."""

    code = "not_found"
    http_status = 404


class PermissionDenied(DomainError):
    """The actor sees the order but their role or unit may not take this action."""

    code = "permission_denied"
    http_status = 403


class ActionNotAllowed(DomainError):
    """The action is not allowed in the order's current status."""

    code = "action_not_allowed"
    http_status = 409

    def __init__(self, message: str, *, status: str, allowed_actions: Iterable[str]) -> None:
        allowed = sorted(allowed_actions)
        super().__init__(message, status=status, allowed_actions=allowed)
        self.status = status
        self.allowed_actions = allowed


class ConcurrentUpdate(DomainError):
    """Someone else changed the order first (version check); reload and try again."""

    code = "concurrent_update"
    http_status = 409


class CalendarUnknown(DomainError):
    """A date lies beyond the years whose working-day schedule the calendar knows."""

    code = "calendar_unknown"
    http_status = 422


class Conflict(DomainError):
    """A uniqueness rule (order number, unit code, username) would be broken."""

    code = "conflict"
    http_status = 409


class TooManyAttempts(DomainError):
    """Too many failed logins from this account name or address: wait until the lock ends.

    `retry_after` (seconds) goes into the answer and its Retry-After header.
    """

    code = "too_many_attempts"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after
