"""Run the API under uvicorn (``python -m core serve``)."""
from __future__ import annotations

from core.service.settings import Settings


def serve(settings: Settings) -> None:
    """Serve until interrupted. The bind is checked first: a non-loopback address needs API keys."""
    settings.check_bind()
    import uvicorn

    from core.service.app import create_app

    # the access log shows method, path and status only: headers (the API key) are never logged
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info",
                server_header=False, proxy_headers=False)
