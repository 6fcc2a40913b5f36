"""Where failures go: one line for the person, the traceback to a rotating log file.

``user_message(exc)`` is what the CLI prints after ``error:`` and what pages and the API show:
a ``MarqueeError``'s own message (it names the field, file or row at fault), on one line, with
secrets masked and absolute paths inside the project's folders shortened; any other exception
becomes "unexpected <Type> …" plus an incident id, never a traceback or a server path.

``log_exception(exc, context)`` appends the full traceback, tagged with that incident id, to
``<log dir>/marquee.log`` (``MARQUEE_LOG_DIR``, default ``<data dir>/.logs``; rotated at 1 MB,
3 old files kept). Logging never fails the command that is already failing.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import re
import secrets as _secrets
import threading
import traceback
from collections.abc import Iterable
from pathlib import Path

from core import config
from core.errors import MarqueeError

LOG_FILE = "marquee.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
_LOGGER_NAME = "marquee.incidents"
_lock = threading.Lock()
_handler_for: dict[Path, logging.Handler] = {}

_QUERY_SECRET = re.compile(r"((?:api_key|apikey|access_token|token|key)=)[^&\s'\"]+", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)\S+", re.IGNORECASE)
_AUTH_HEADER = re.compile(r"((?:authorization|x-api-key)['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+", re.IGNORECASE)


def redact_secrets(text: str, *secrets: str) -> str:
    """``text`` with ``api_key=…`` query values, bearer tokens, authorization headers and every
    given secret (and each of its lines, should it hold a newline) masked."""
    text = _QUERY_SECRET.sub(r"\1***", str(text))
    text = _BEARER.sub(r"\1***", text)
    text = _AUTH_HEADER.sub(r"\1***", text)
    for secret in secrets:
        if not secret:
            continue
        for part in {secret, *secret.splitlines(), repr(secret)[1:-1]}:
            if len(part.strip()) >= 4:
                text = text.replace(part, "***")
    return text


def log_dir() -> Path:
    """Folder of the incident log (``MARQUEE_LOG_DIR``; default ``<data dir>/.logs``, a name no
    catalog can take)."""
    configured = os.environ.get("MARQUEE_LOG_DIR")
    return Path(configured).resolve() if configured else config.data_dir() / ".logs"


def log_path() -> Path:
    return log_dir() / LOG_FILE


def _logger() -> logging.Logger:
    logger = logging.getLogger(_LOGGER_NAME)
    logger.propagate = False  # the traceback goes to the file only, never to stderr
    logger.setLevel(logging.INFO)
    path = log_path()
    with _lock:
        if path not in _handler_for:
            for old in list(logger.handlers):
                logger.removeHandler(old)
                old.close()
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                           encoding="utf-8", delay=True)
            handler.setFormatter(_RedactingFormatter("%(asctime)s %(levelname)s %(message)s"))
            _handler_for.clear()
            _handler_for[path] = handler
            logger.addHandler(handler)
    return logger


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_secrets(super().format(record))


def new_incident_id() -> str:
    return _secrets.token_hex(4)


def log_exception(exc: BaseException, context: str = "", incident: str | None = None,
                  secrets: Iterable[str | None] = ()) -> str:
    """Append ``exc``'s traceback to the log file; returns the incident id it is tagged with.
    Each of ``secrets`` (a password, a URL carrying one) is replaced by ``***`` in the message and
    the traceback, since a library's own error text may quote them."""
    incident = incident or new_incident_id()
    try:
        level = logging.WARNING if isinstance(exc, MarqueeError) else logging.ERROR
        hidden = sorted({s for s in secrets if s}, key=len, reverse=True)
        if not hidden:
            _logger().log(level, "incident %s in %s: %s: %s", incident, context or "marquee", type(exc).__name__,
                          one_line(str(exc)), exc_info=(type(exc), exc, exc.__traceback__))
        else:
            text = (f"incident {incident} in {context or 'marquee'}: {type(exc).__name__}: {one_line(str(exc))}\n"
                    + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip())
            for secret in hidden:
                text = text.replace(secret, "***")
            _logger().log(level, "%s", text)
    except Exception:  # a read-only or full disk must not turn one error into two
        pass
    return incident


def one_line(text: str) -> str:
    """Collapse whitespace (newlines included) so a message is one line."""
    return " ".join(str(text).split())


def _shorten_paths(text: str) -> str:
    """Absolute paths inside the data, artifacts or project folders shown relative to them."""
    for root, label in ((config.data_dir(), "data"), (config.artifacts_dir(), "artifacts"),
                        (config.PROJECT_ROOT, ".")):
        text = text.replace(str(root) + os.sep, f"{label}/").replace(str(root), label)
    return text


def user_message(exc: BaseException, context: str = "", incident: str | None = None,
                 secrets: tuple[str, ...] = ()) -> str:
    """One line fit to show anyone: what went wrong and, for a bug, the incident id to look up."""
    if isinstance(exc, MarqueeError):
        return one_line(_shorten_paths(redact_secrets(str(exc), *secrets))) or type(exc).__name__
    if isinstance(exc, OSError) and not isinstance(exc, (BlockingIOError, InterruptedError)):
        target = f": {_shorten_paths(str(exc.filename))}" if exc.filename else ""
        return one_line(f"{exc.strerror or type(exc).__name__}{target}")
    if isinstance(exc, RecursionError):
        what = "the input is nested too deeply"
    elif isinstance(exc, MemoryError):
        what = "out of memory"
    else:
        what = f"unexpected {type(exc).__name__}"
    where = f" in {context}" if context else ""
    tag = f" (incident {incident}; the traceback is in the log)" if incident else ""
    return f"{what}{where}{tag}"
