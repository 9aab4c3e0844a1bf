"""Errors of the data layer. The CLI prints them as one line (exit 2)."""


class LakeError(Exception):
    """Bad input or a broken lake operation; the message names dataset, file, row and field."""


class ValidationFailed(LakeError):
    """More rows than the configured fraction failed validation; nothing was written."""
