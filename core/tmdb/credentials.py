"""Where the TMDb key comes from, and how it is kept out of every message, log line and file.

Sources, first match wins: a value passed in (the page reads ``st.secrets`` and passes it), the
environment (``TMDB_BEARER_TOKEN`` for a v4 read-access token, ``TMDB_API_KEY`` for a v3 key),
then a ``.env`` file (``KEY=value`` lines, parsed here by hand). A v4 token travels in the
``Authorization`` header; a v3 key has to be the ``api_key`` query parameter, which is why every
URL and message that leaves this package goes through :func:`redact` first.

The key goes only to an allow-listed host: TMDb's own (``api.themoviedb.org``, https), the host
of ``TMDB_API_BASE`` and the hosts in ``TMDB_ALLOWED_HOSTS`` (comma-separated ``host[:port]``),
both settings of the server, never of a page visitor. :func:`api_base` refuses any other base
and the client checks every outgoing request against the same list.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from core.config import PROJECT_ROOT
from core.errors import MarqueeError
from core.logs import redact_secrets
from core.validation import shown

DEFAULT_API_BASE = "https://api.themoviedb.org/3"
OFFICIAL_API_HOSTS = frozenset({"api.themoviedb.org:443"})
ENV_KEY = "TMDB_API_KEY"
ENV_TOKEN = "TMDB_BEARER_TOKEN"
ENV_BASE = "TMDB_API_BASE"
ENV_ALLOWED_HOSTS = "TMDB_ALLOWED_HOSTS"


class CredentialsMissing(MarqueeError):
    """No TMDb key or token was found anywhere."""


@dataclass(frozen=True)
class Credentials:
    """A v3 key or a v4 token; ``repr`` never shows the value."""

    value: str = field(repr=False)
    kind: str  # "bearer" (v4 token) or "api_key" (v3 key)
    source: str  # where it came from, for display: "environment", ".env file", "streamlit secrets"...

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.value}"} if self.kind == "bearer" else {}

    def params(self) -> dict[str, str]:
        return {"api_key": self.value} if self.kind == "api_key" else {}

    def describe(self) -> str:
        label = "v4 bearer token" if self.kind == "bearer" else "v3 API key"
        return f"{label} from {self.source}"


def classify(value: str, source: str) -> Credentials:
    """A v4 token is a long JWT (three dot-separated parts); anything else is a v3 key.

    Keys are printable ASCII without spaces; anything else (a pasted newline, a control
    character) is refused without showing the value, so no part of it can reach a message."""
    value = value.strip()
    if not value or any(not ("!" <= ch <= "~") for ch in value):
        raise MarqueeError(f"the TMDb key from {source} contains spaces, line breaks or other characters a key "
                           "cannot have; paste it again")
    kind = "bearer" if value.count(".") == 2 and len(value) > 60 else "api_key"
    return Credentials(value=value, kind=kind, source=source)


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` pairs of a .env file: comments, ``export`` and quotes handled; bad lines skipped."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export "):]
        key, _, raw = line.partition("=")
        raw = raw.strip()
        if raw[:1] in ("'", '"') and raw.endswith(raw[0]) and len(raw) >= 2:
            raw = raw[1:-1]
        elif " #" in raw:
            raw = raw.split(" #", 1)[0].rstrip()
        values[key.strip()] = raw
    return values


def env_file_candidates() -> list[Path]:
    return [Path.cwd() / ".env", PROJECT_ROOT / ".env"]


def load_credentials(explicit: str | None = None, explicit_source: str = "the page",
                     env_files: list[Path] | None = None) -> Credentials:
    """The key or token to use; :class:`CredentialsMissing` says where it was looked for."""
    if explicit and explicit.strip():
        return classify(explicit, explicit_source)
    for name in (ENV_TOKEN, ENV_KEY):
        if os.environ.get(name, "").strip():
            return classify(os.environ[name], f"environment variable {name}")
    for path in env_files if env_files is not None else env_file_candidates():
        values = read_env_file(path)
        for name in (ENV_TOKEN, ENV_KEY):
            if values.get(name, "").strip():
                return classify(values[name], f".env file {path}")
    raise CredentialsMissing(
        f"no TMDb credentials: set {ENV_KEY} (v3 key) or {ENV_TOKEN} (v4 read access token) in the environment "
        "or in a .env file, or add TMDB_API_KEY to .streamlit/secrets.toml")


def find_credentials(typed: str | None = None, secret: str | None = None) -> Credentials | None:
    """The key the Download page would use: typed on the page, else Streamlit secrets, else the
    environment or a .env file; ``None`` when there is none (a malformed key still raises)."""
    if typed and typed.strip():
        return classify(typed, "the page")
    if secret and secret.strip():
        return classify(secret, "Streamlit secrets")
    try:
        return load_credentials()
    except CredentialsMissing:
        return None


def fingerprint(credentials: Credentials, base: str) -> str:
    """A short hash naming one (key, server) pair, so a check is remembered without the key."""
    import hashlib

    return hashlib.sha256(f"{credentials.kind}\x1f{credentials.value}\x1f{base}".encode()).hexdigest()[:16]


def host_port(url: str) -> str:
    """``host:port`` of a URL, the port made explicit (``api.themoviedb.org:443``)."""
    parts = urlsplit(url)
    try:
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme, 0)
    except ValueError:
        port = 0
    return f"{(parts.hostname or '').lower()}:{port}"


def allowed_hosts() -> frozenset[str]:
    """Hosts the key may be sent to: TMDb's, plus the ones the server's operator configured."""
    hosts = set(OFFICIAL_API_HOSTS)
    configured = os.environ.get(ENV_BASE, "").strip()
    if configured:
        hosts.add(host_port(configured))
    for entry in os.environ.get(ENV_ALLOWED_HOSTS, "").split(","):
        entry = entry.strip().lower()
        if entry:
            hosts.add(entry if ":" in entry else f"{entry}:443")
    return frozenset(hosts)


def api_base(explicit: str | None = None) -> str:
    """Base URL of the API: the value given, else ``TMDB_API_BASE``, else TMDb itself; refused
    unless its host is allow-listed (see the module doc), so a key never leaves for another host."""
    base = (explicit or os.environ.get(ENV_BASE) or DEFAULT_API_BASE).strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MarqueeError(f"TMDb API base {shown(base)} must be an http:// or https:// URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise MarqueeError("TMDb API base must not carry a user name, password, query or fragment")
    target = host_port(base)
    if target not in allowed_hosts():
        raise MarqueeError(f"TMDb API base host {target.rsplit(':', 1)[0]!r} is not allow-listed: the key is only sent "
                           f"to api.themoviedb.org or to a server the operator configured ({ENV_BASE} or "
                           f"{ENV_ALLOWED_HOSTS})")
    if target in OFFICIAL_API_HOSTS and parts.scheme != "https":
        raise MarqueeError("TMDb's own API must be reached over https")
    return base


def redact(text: str, *secrets: str) -> str:
    """``text`` with every known secret, ``api_key=…`` query value and bearer token masked."""
    return redact_secrets(text, *secrets)


class RedactingFilter(logging.Filter):
    """Masks keys in records of third-party loggers (httpx logs every URL, query string included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install_log_redaction() -> None:
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)
