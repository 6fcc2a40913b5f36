"""Service settings from the environment: bind address, API keys, body size limit, reload checks.

API keys come from ``MARQUEE_API_KEYS`` (comma-separated, each at least 16 characters). They
are compared in constant time (``hmac.compare_digest``) against the ``X-API-Key`` header and
never logged or echoed: ``repr(Settings)`` shows only how many there are.
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field

from core.errors import MarqueeError
from core.validation import ValidationError, integer

API_KEY_HEADER = "X-API-Key"
KEYS_VARIABLE = "MARQUEE_API_KEYS"
MIN_KEY_LENGTH = 16
# Bytes. Every body the request schemas accept must fit, or a client keeping to the published
# schema gets a 413 for a valid request. The largest, as json.dumps writes them by default
# (ASCII escapes: a character outside the BMP is 12 bytes; a longer body needs padding whitespace):
# 1,000 labels with 500-character titles ~6.08 MB, a search ~265 kB, a fold-in of 2,000 ratings
# ~142 kB, a brief ~27 kB, a predict ~21 kB (largest_bodies in tests/service/test_api_models.py).
# The limit only bounds the memory of one request; the schemas bound the work.
DEFAULT_MAX_BODY = 8 * 1024 * 1024
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def is_loopback(host: str) -> bool:
    """``True`` for 127.0.0.0/8, ::1 and ``localhost``; ``False`` for anything else (0.0.0.0 included)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def parse_keys(raw: str | None) -> tuple[str, ...]:
    """The keys in ``MARQUEE_API_KEYS``; a short or blank-containing key is refused (without showing it)."""
    keys = tuple(k.strip() for k in (raw or "").split(",") if k.strip())
    for number, key in enumerate(keys, start=1):
        if len(key) < MIN_KEY_LENGTH or any(c.isspace() or not c.isprintable() for c in key):
            raise MarqueeError(f"{KEYS_VARIABLE}: key #{number} is unusable (needs at least {MIN_KEY_LENGTH} "
                               "printable characters without spaces; keys are comma-separated)")
    return keys


@dataclass(frozen=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    max_body_bytes: int = DEFAULT_MAX_BODY
    reload_check_seconds: float = 1.0   # how stale a "has the artifact changed?" answer may be

    def __repr__(self) -> str:  # never the keys themselves
        return (f"Settings(host={self.host!r}, port={self.port}, api_keys=<{len(self.api_keys)} keys>, "
                f"max_body_bytes={self.max_body_bytes}, reload_check_seconds={self.reload_check_seconds})")

    @classmethod
    def from_env(cls, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> "Settings":
        max_body = os.environ.get("MARQUEE_API_MAX_BODY")
        return cls(host=host, port=port, api_keys=parse_keys(os.environ.get(KEYS_VARIABLE)),
                   max_body_bytes=integer(max_body, "MARQUEE_API_MAX_BODY", 1024, 64 * 1024 * 1024)
                   if max_body else DEFAULT_MAX_BODY)

    def check_bind(self) -> "Settings":
        """Refuse a non-loopback bind without API keys (one line, exit 2 from the CLI)."""
        integer(self.port, "--port", 0, 65535)
        if not self.host or any(c.isspace() for c in self.host):
            raise ValidationError("--host", self.host, "not a host name or address")
        if not is_loopback(self.host) and not self.api_keys:
            raise MarqueeError(f"--host {self.host}: binding a non-loopback address needs API keys: set "
                               f"{KEYS_VARIABLE} (comma-separated, at least {MIN_KEY_LENGTH} characters each); "
                               f"clients send one in the {API_KEY_HEADER} header")
        return self
