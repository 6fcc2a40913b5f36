"""One JSON error shape for every failure: ``{"error": "<field>: <problem>", "field": "<field>"}``.

Bad input is a 4xx naming the field (422 for a value the schema or a core check refuses, 404 for
an unknown catalog/profile, 409 for something not built yet, 413 for a body over the limit, 401
for a missing or wrong API key). An unexpected exception is a 500 whose body holds only an
incident id; its traceback goes to the incident log (``core.logs``), never to the client.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from core import logs
from core.artifacts import ArtifactNotFound, StaleArtifact
from core.errors import CatalogNotFound, MarqueeError
from core.validation import ValidationError

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    error: str
    field: str | None = None
    detail: list[dict[str, Any]] | None = None


class ApiError(Exception):
    """A refusal with its HTTP status and the request field it is about."""

    def __init__(self, status: int, field: str | None, message: str):
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"the request body is over the limit of {limit:,} bytes")


RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in (
        (400, "A request the service cannot carry out (one line saying why)"),
        (401, "Missing or wrong API key (X-API-Key header)"),
        (404, "Unknown catalog, profile or route"),
        (409, "Not built yet (no search index, no trained model)"),
        (413, "Request body over the size limit"),
        (422, "A field with a wrong type or value; 'field' names it"),
    )}


def error_response(status: int, message: str, field: str | None = None,
                   detail: list[dict[str, Any]] | None = None) -> JSONResponse:
    text = logs.one_line(message)
    if field and not text.startswith(f"{field}:"):
        text = f"{field}: {text}"
    body: dict[str, Any] = {"error": text, "field": field}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(body, status_code=status)


_UNION_TAG = re.compile(r"^(constrained-|lax-|strict-)?(int|str|float|bool|list|dict|none)$|[\[(]")


def _field_of(loc: tuple | list) -> str:
    """``filters.year_min`` from ``("body", "filters", "year_min")``; union member tags dropped."""
    parts = [str(p) for p in loc if not (isinstance(p, str) and _UNION_TAG.search(p))]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:] or parts[:1]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        detail = [{"loc": [p if isinstance(p, (str, int)) else str(p) for p in e.get("loc", ())],
                   "msg": logs.one_line(str(e.get("msg", "")))[:300], "type": str(e.get("type", ""))} for e in errors]
        first = detail[0] if detail else {"loc": ["body"], "msg": "invalid request", "type": ""}
        field = "body" if first["type"] == "json_invalid" else _field_of(first["loc"])
        return error_response(422, f"{field}: {first['msg']}", field, detail)

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = error_response(exc.status_code, str(exc.detail), "body" if exc.status_code == 413 else None)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(MarqueeError)
    async def _marquee(request: Request, exc: MarqueeError) -> JSONResponse:
        message = logs.user_message(exc, "API")
        if isinstance(exc, ValidationError):
            return error_response(422, message, exc.field)
        if isinstance(exc, CatalogNotFound):
            return error_response(404, message, "catalog")
        if isinstance(exc, (ArtifactNotFound, StaleArtifact)):
            return error_response(409, message)
        return error_response(400, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        incident = logs.log_exception(exc, f"API {request.method} {request.url.path}")
        return error_response(500, logs.user_message(exc, f"API {request.method} {request.url.path}", incident))
