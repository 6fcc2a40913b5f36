"""``python -m core serve [--host 127.0.0.1] [--port 8000]``: the HTTP API (needs the ``api`` extra)."""
from __future__ import annotations

import argparse

from core.errors import MarqueeError
from core.validation import arg_int


def register(subparsers: argparse._SubParsersAction) -> None:
    from core.service.settings import DEFAULT_HOST, DEFAULT_PORT, KEYS_VARIABLE

    p = subparsers.add_parser("serve", help="serve the HTTP API (FastAPI; OpenAPI at /docs)",
                              description=f"Serve the HTTP API. Binds {DEFAULT_HOST} by default; any other "
                                          f"address needs {KEYS_VARIABLE} (clients send a key in X-API-Key).")
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    p.add_argument("--port", type=arg_int(0, 65535), default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.set_defaults(handler=_serve)


def _serve(args) -> int:
    from core.service.settings import Settings

    settings = Settings.from_env(host=args.host, port=args.port).check_bind()
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise MarqueeError(f"the API needs the 'api' extra ({exc.name} is missing): pip install -e '.[api]'") from None
    from core.service.server import serve

    serve(settings)
    return 0
