"""The FastAPI app: routes that turn a typed request into the same core call a page makes.

No logic lives here beyond translating fields and mapping refusals to 4xx (``errors.py``).
"""
from __future__ import annotations

import hmac
import math
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Security
from fastapi.security import APIKeyHeader

from core.catalog import store
from core.errors import MarqueeError
from core.service import errors
from core.service.errors import ApiError, BodyTooLarge
from core.service.resources import Resources
from core.service.schemas import (CatalogInfo, Health, ModelSlot, SearchRequest, SearchResult)
from core.service.settings import API_KEY_HEADER, Settings

_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False,
                           description="required when the server was started with MARQUEE_API_KEYS")


def finite(value: Any) -> Any:
    """``value`` with NaN/±inf as ``None`` and NumPy scalars as Python numbers (strict JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [finite(v) for v in value]
    if hasattr(value, "item") and hasattr(value, "dtype") and getattr(value, "ndim", 1) == 0:
        return finite(value.item())
    if hasattr(value, "tolist") and hasattr(value, "dtype"):
        return finite(value.tolist())
    return value


def require_key(request: Request, key: str | None = Security(_key_header)) -> None:
    """Constant-time check of the X-API-Key header against every configured key (none set: open)."""
    keys: tuple[str, ...] = request.app.state.settings.api_keys
    if not keys:
        return
    given = (key or "").encode("utf-8", "surrogateescape")
    matched = False
    for candidate in keys:  # compare with all of them, so timing says nothing about which one
        matched |= hmac.compare_digest(given, candidate.encode("utf-8"))
    if not key or not matched:
        raise ApiError(401, API_KEY_HEADER, "missing or wrong API key")


def resources(request: Request) -> Resources:
    return request.app.state.resources


class BodyLimit:
    """ASGI middleware: a body over ``limit`` bytes is refused with 413, whether announced by
    Content-Length or streamed (chunked); nothing past the limit is read."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > self.limit):
            response = errors.error_response(413, f"the request body is over the limit of {self.limit:,} bytes", "body")
            return await response(scope, receive, send)
        received = 0

        async def limited():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited, send)


router = APIRouter()


@router.get("/health", response_model=Health, summary="Liveness, catalogs, loaded models and versions")
def health(res: Resources = Depends(resources)) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for package in ("marquee", "fastapi", "pydantic"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "unknown"
    return {"status": "ok", "catalogs": store.list_catalogs(), "active_catalog": store.get_active(),
            "loaded": res.loaded(), "versions": versions}


@router.get("/catalogs", response_model=list[CatalogInfo], summary="Every catalog with its source and row counts")
def catalogs() -> list[dict]:
    return finite(store.catalog_summaries())


@router.get("/models", response_model=list[ModelSlot],
            summary="Every model kind and search index: champion and versions with metrics")
def models() -> list[dict]:
    from core import search
    from core.artifacts import default_store

    slots = finite(default_store().summary())
    for name in store.list_catalogs():
        try:
            status = search.index_status(name)
        except MarqueeError as exc:
            slots.append({"kind": "search-index", "catalog": name, "error": str(exc)})
            continue
        if status["exists"]:
            manifest = status["manifest"]
            slots.append({"kind": "search-index", "catalog": name, "champion": None, "versions": [finite({
                "version": str(manifest.get("created_at")), "status": "current" if status["fresh"] else "stale",
                "created_at": manifest.get("created_at"), "data_checksum": manifest.get("data_checksum"),
                "documents": manifest.get("documents"), "reason": status["reason"] or None, "metrics": {}})]})
    return slots


@router.post("/search", response_model=SearchResult, summary="Search films (words, people, description, or 'more like these')")
def search_films(body: SearchRequest, res: Resources = Depends(resources)) -> dict:
    from core.search import Filters, SearchParams

    if not body.like and not body.query.strip():
        raise ApiError(422, "query", "empty: type words, or give films in 'like'")
    name = res.catalog_name(body.catalog)
    searcher, version = res.searcher(name)
    params = SearchParams(method=body.method, k=body.k, mmr_lambda=body.mmr_lambda,
                          language_policy=body.language_policy)
    f = body.filters
    filters = Filters(year_min=f.year_min, year_max=f.year_max, genres=f.genres, languages=f.languages,
                      min_votes=f.min_votes)
    if body.like:
        try:
            response = searcher.more_like(body.like, params, filters)
        except MarqueeError as exc:
            raise ApiError(422, "like", str(exc)) from None
    else:
        try:
            response = searcher.search(body.query, params, filters)
        except MarqueeError as exc:
            raise ApiError(422, "query", str(exc)) from None
    return {"catalog": name, "index_version": version, **finite(response.as_dict())}


def create_app(settings: Settings | None = None, *, encoder: Any = None) -> FastAPI:
    """The API app. ``encoder``: an already loaded sentence encoder to share (tests, benchmarks)."""
    settings = settings or Settings.from_env()
    app = FastAPI(title="Marquee API", version="1", summary="Film search, casting, personal taste and CF over HTTP",
                  description="A thin layer over the same core calls the Streamlit pages make. Errors are "
                              "`{\"error\": \"<field>: <problem>\", \"field\": \"<field>\"}`.",
                  dependencies=[Depends(require_key)], responses=errors.RESPONSES)
    app.state.settings = settings
    app.state.resources = Resources(settings, encoder=encoder)
    errors.install(app)
    app.include_router(router)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app
