"""The HTTP API: a FastAPI app over the same public ``core`` calls the pages use (no logic of its own).

``create_app()`` builds the app (typed request/response models, OpenAPI at ``/docs``, one JSON
error shape naming the field for every bad input); ``python -m core serve`` runs it under uvicorn
on 127.0.0.1 (any other address needs ``MARQUEE_API_KEYS``). Models and indexes are loaded once
per process and reloaded when their artifact version changes (``core.service.resources``).
FastAPI and uvicorn are the ``api`` extra: importing this package does not import them.
"""
from __future__ import annotations

from typing import Any

__all__ = ["Settings", "create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name == "Settings":
        from core.service.settings import Settings

        return Settings
    if name == "create_app":
        from core.service.app import create_app

        return create_app
    if name == "serve":
        from core.service.server import serve

        return serve
    raise AttributeError(f"module 'core.service' has no attribute {name!r}")
