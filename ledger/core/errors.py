"""Errors a user can cause: each has a stable code, an English message and the field at fault."""

from __future__ import annotations


class LedgerError(Exception):
    """A refusal. Nothing is recorded when one is raised."""

    code: str = "ledger_error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class DomainError(LedgerError):
    """A domain rule refused the command."""

    code = "domain_rule"


class ValidationError(LedgerError):
    """The input is malformed (wrong shape, wrong type, out of range)."""

    code = "invalid_input"


class AuthorizationError(LedgerError):
    """The signature, the key or its role and scope do not allow the command."""

    code = "not_authorized"


class NotFoundError(LedgerError):
    code = "not_found"


class ConflictError(LedgerError):
    """The aggregate changed while the command was being handled; retrying may succeed."""

    code = "conflict"


class IndicatorSetError(ValidationError):
    """An indicator set definition is invalid; ``problems`` lists every problem found."""

    code = "invalid_indicator_set"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
