"""One error taxonomy for every face.

Operations raise these; the CLI, the REST handlers and the magics each map them once
(exit code, HTTP status, ``UsageError``). Messages say what was wrong *and* what to do.
"""

from __future__ import annotations


class MlopsError(Exception):
    """Base class. ``reason`` is a stable machine-readable word, ``http_status`` its REST status."""

    reason = "error"
    http_status = 400
    exit_code = 2

    def __init__(self, message: str, *, details: list[str] | None = None, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details or [])
        self._fix = fix

    @property
    def fix(self) -> str | None:
        """What to do, for faces that show it apart (the VS Code notification's second line).

        Given explicitly, or else the message's own advice: messages are written "what was wrong; what to
        do" (or "What was wrong. What to do."), so the advice is the last clause after "; " or the sentences
        after the first ". ". The first detail is used when the message only introduces a list.
        """
        if self._fix:
            return self._fix
        for text in (self.message, *self.details[:1]):
            advice = _advice(text)
            if advice:
                return advice
        return None

    def __str__(self) -> str:
        if not self.details:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {d}" for d in self.details)


class InvalidInput(MlopsError):
    """The user's input is wrong (a name, a URL, a setting key, a config file)."""

    reason = "invalid_input"
    http_status = 400


class Conflict(MlopsError):
    """The request is valid but the world is not in a state that allows it (would overwrite, unrelated history)."""

    reason = "conflict"
    http_status = 409


class NotFound(MlopsError):
    reason = "not_found"
    http_status = 404


class Unauthenticated(MlopsError):
    """A credential (GitHub token, KFP login) is missing or rejected."""

    reason = "unauthenticated"
    # 422 rather than 401: a 401 from a Jupyter route would read as "your Jupyter session expired".
    http_status = 422


class Forbidden(MlopsError):
    """The credential works but lacks a right (scope, permission, plan)."""

    reason = "forbidden"
    http_status = 422


class RemoteFailure(MlopsError):
    """A remote service failed after retries (5xx, network). Running the command again resumes."""

    reason = "remote_failure"
    http_status = 502
    exit_code = 1


class Cancelled(MlopsError):
    reason = "cancelled"
    http_status = 409
    exit_code = 130


def _advice(text: str) -> str | None:
    head = text.split("\n", 1)[0].rstrip(":").strip()
    if "; " in head:
        return head.rsplit("; ", 1)[1].strip() or None
    first, sep, rest = head.partition(". ")
    return rest.strip() if sep and rest.strip() else None


def error_object(exc: MlopsError) -> dict:
    """The error as machine faces see it (the CLI's ``--json`` error line): stable reason, message, fix."""
    return {
        "reason": exc.reason,
        "message": exc.message,
        "details": exc.details,
        "fix": exc.fix,
        "exit_code": exc.exit_code,
    }
