"""The errors of clusterkg, and the one shape they take on the wire.

Every error a client sees is ``ClusterkgError``: an HTTP status, a short stable ``code`` and a
readable ``message``.  The protocol blueprint renders it as JSON (see ``to_json``);
the CLI prints ``message`` on one line and exits 2.
"""
from __future__ import annotations


class ClusterkgError(Exception):
    """An error with an HTTP status, a stable code and a message meant for people."""

    status = 500
    code = "internal-error"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    def to_json(self) -> dict:
        return {"error": {"status": self.status, "code": self.code, "message": self.message}}


class InputError(ClusterkgError):
    """An input file the operator gave cannot be read or parsed (CLI exit code 2)."""

    status = 400
    code = "bad-input"
