"""The one place secrets are masked: every log record, exception message, ledger row and alert
passes through :func:`redact`.

* Known secrets (an API key, the passwords of WAREHOUSE_URL and ALERT_SMTP_URL, the reader's
  password) are registered once, where they are read (:func:`register_secret`), and masked
  wherever they appear, as is or URL-encoded: a server echoing a request back cannot smuggle
  them into an error message.
* Shapes that carry a secret are masked even when its value is not known: ``apiKey=…`` (and
  ``token=``, ``password=``) in a query, the password in ``scheme://user:password@host``.
* A log record factory masks every record of every logger (urllib3's DEBUG lines of full URLs
  included) when it is made: a filter on a logger would miss records of its children.
* :class:`RedactedError` masks its message when raised, for the errors that quote URLs or
  answers (FetchError, OpendataError, …).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
_MIN_LENGTH = 4  # shorter "secrets" would mask ordinary words (a test password of "pw")
_SECRET_PARAM = re.compile(
    r"((?:api_?key|access_?token|token|password|passwd)=)[^&\s'\"#]*", re.IGNORECASE
)
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^/\s:@]*:)[^@\s/]+(@)", re.IGNORECASE)

_known: set[str] = set()
_lock = threading.Lock()


def register_secret(*values: str | None) -> None:
    """Mask these values from now on, in this process (empty ones are ignored)."""
    with _lock:
        for value in values:
            if value and len(value) >= _MIN_LENGTH:
                _known.update(_spellings(value))


def _spellings(value: str) -> set[str]:
    """A secret as is and URL-encoded (a query or a form carries it so)."""
    return {value, quote(value, safe=""), quote_plus(value, safe="")}


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every known secret (and ``secrets``), secret parameter and URL password
    masked."""
    text = _SECRET_PARAM.sub(rf"\1{MASK}", text)
    text = _URL_PASSWORD.sub(rf"\1{MASK}\2", text)
    with _lock:
        known = set(_known)
    for secret in secrets:
        if secret:
            known.update(_spellings(secret))
    for secret in sorted(known, key=len, reverse=True):  # the longest first: no half-masks
        text = text.replace(secret, MASK)
    return text


def redact_value(value: Any) -> Any:
    """A JSON-like value (the ledger's stats) with every string in it redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_value(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value


class RedactedError(Exception):
    """An exception whose text arguments are masked as it is made."""

    def __init__(self, *args: object):
        super().__init__(*(redact(a) if isinstance(a, str) else a for a in args))


def _redacting_factory(base):
    def make_record(*args, **kwargs) -> logging.LogRecord:
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format: logging reports it later, as it always does
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            # the traceback is formatted later, from the exception: mask it now, once
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    make_record.redacts = True  # type: ignore[attr-defined]
    return make_record


def install_log_redaction() -> None:
    """Mask every log record made in this process from now on (idempotent)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "redacts", False):
        logging.setLogRecordFactory(_redacting_factory(current))


install_log_redaction()
