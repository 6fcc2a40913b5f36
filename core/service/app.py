"""The FastAPI app: routes that turn a typed request into the same core call a page makes.

No logic lives here beyond translating fields and mapping refusals to 4xx (``errors.py``).
"""
from __future__ import annotations

import hmac
import math
from typing import Any

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Security
from fastapi.security import APIKeyHeader

from core import catalog as catalog_api
from core.errors import MarqueeError
from core.service import errors
from core.service.errors import ApiError, BodyTooLarge
from core.service.resources import Resources
from core.service.schemas import (NAME_PATTERN, CastingBriefRequest, CastingBriefResult, CatalogInfo, CFResult,
                                  FoldInRequest, Health, LabelsRequest, LabelsResult, ModelSlot, PredictRequest,
                                  PredictResult, RecommendationsResult, SearchRequest, SearchResult)
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
        if str(value.dtype) == "float32":  # 0.9723 rather than 0.9722999930381775
            return finite(float(f"{float(value):.7g}"))
        return finite(value.item())
    if hasattr(value, "tolist") and hasattr(value, "dtype"):
        return finite(value.tolist())
    return value


def records(frame, index: str | None = None) -> list[dict]:
    """A DataFrame as JSON-safe rows (pd.NA/NaN → None, NumPy scalars → Python)."""
    import pandas as pd

    if frame is None or len(frame) == 0:
        return []
    if index is not None:
        frame = frame.reset_index().rename(columns={"index": index})
    frame = frame.astype(object).where(pd.notna(frame), None)
    return finite(frame.to_dict(orient="records"))


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
    return {"status": "ok", "catalogs": catalog_api.list_catalogs(), "active_catalog": catalog_api.get_active(),
            "loaded": res.loaded(), "versions": versions}


@router.get("/catalogs", response_model=list[CatalogInfo], summary="Every catalog with its source and row counts")
def catalogs() -> list[dict]:
    return finite(catalog_api.catalog_summaries())


@router.get("/models", response_model=list[ModelSlot],
            summary="Every model kind and search index: champion and versions with metrics")
def models() -> list[dict]:
    from core import search
    from core.artifacts import default_store

    slots = finite(default_store().summary())
    for name in catalog_api.list_catalogs():
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
                          language_policy=body.language_policy,
                          **({} if body.min_score is None else {"min_score": body.min_score}))
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


# ------------------------------------------------------------------ casting

@router.post("/casting/brief", response_model=CastingBriefResult,
             summary="Cast a brief: slate, alternates, reason codes, calibrated probabilities, model version")
def casting_brief(body: CastingBriefRequest, res: Resources = Depends(resources)) -> dict:
    from core.casting import Brief, cast_brief, with_weights

    name = res.catalog_name(body.catalog)
    trained, version = res.casting(name)
    if body.director_weight is not None:
        trained = with_weights(trained, director_weight=body.director_weight)
    brief = Brief(year=body.year, budget_musd=body.budget_musd, genres=tuple(body.genres), bill_order=body.bill_order,
                  n=body.n, director=body.director, language=body.language, country=body.country)
    try:
        result = cast_brief(trained, brief)
    except MarqueeError as exc:
        raise ApiError(422, _brief_field(str(exc)), str(exc)) from None
    return {"catalog": name, "model_version": version, "brief": finite(result.brief.to_dict()),
            "slate": records(result.slate), "alternates": records(result.alternates),
            "reasons": records(result.reasons), "comparables": records(result.comparables),
            "flags": finite(result.flags), "timings": finite(result.timings)}


def _brief_field(message: str) -> str | None:
    """The brief field a core refusal is about (validate_brief names it in words)."""
    for words, field in (("year", "year"), ("budget", "budget_musd"), ("genre", "genres"), ("bill order", "bill_order"),
                         ("slate size", "n"), ("language", "language"), ("director", "director"),
                         ("country", "country")):
        if words in message.split(":")[0].lower():
            return field
    return None


# ------------------------------------------------------------------ personal taste

ProfileName = Annotated[str, Path(pattern=NAME_PATTERN.replace("\\-]", "\\-@]"), max_length=64,
                                  description="labeler profile (as on the Labeling page)")]
CatalogQuery = Annotated[str | None, Query(pattern=NAME_PATTERN, max_length=64,
                                           description="catalog name (default: the active catalog)")]
ModelChoice = Literal["auto", "profile", "shared"]


def _taste_model(res: Resources, profile: str, name: str, choice: str):
    """(kind, model, version): the profile's own model, the catalog's shared one, or (auto) the
    profile's when it has one, else the shared one — as the Labeling page chooses."""
    from core import personal

    if choice == "profile" or (choice == "auto" and personal.trained_version(profile, name) is not None):
        model, version = res.taste(profile, name)
        return "profile", model, version
    model, version = res.shared(name)
    return "shared", model, version


@router.get("/personal/{profile}/recommendations", response_model=RecommendationsResult,
            summary="Unlabeled, not excluded films ranked by P(would watch) for a profile")
def personal_recommendations(profile: ProfileName, catalog: CatalogQuery = None,
                             top: Annotated[int, Query(ge=1, le=100)] = 20, model: ModelChoice = "auto",
                             res: Resources = Depends(resources)) -> dict:
    from core import personal

    name = res.catalog_name(catalog)
    res.profile(profile)
    kind, trained, version = _taste_model(res, profile, name, model)
    if kind == "profile":
        frame = personal.recommend(trained, res.catalog(name), store=res.labels_store(), top=top)
    else:
        frame = personal.shared_recommend(trained, res.catalog(name), res.labels_store(), profile, top=top)
    return {"profile": profile, "catalog": name, "model": kind, "model_version": version,
            "recommendations": records(frame, index="movie_id")}


@router.post("/personal/{profile}/predict", response_model=PredictResult,
             summary="P(would watch), the predicted label and a flag for given films")
def personal_predict(profile: ProfileName, body: PredictRequest, model: ModelChoice = "auto",
                     res: Resources = Depends(resources)) -> dict:
    import pandas as pd

    from core import personal

    name = res.catalog_name(body.catalog)
    res.profile(profile)
    catalog = res.catalog(name)
    _known_films(catalog, body.movie_ids, "movie_ids")
    kind, trained, version = _taste_model(res, profile, name, model)
    if kind == "profile":
        rows = records(personal.predict_titles(trained, body.movie_ids))
    else:
        scores = personal.shared_scores(trained, catalog, res.labels_store(), profile)
        rows = records(pd.DataFrame({"movie_id": body.movie_ids,
                                     "p_watch": scores.reindex(body.movie_ids).round(4).to_numpy()}))
    return {"profile": profile, "catalog": name, "model": kind, "model_version": version, "predictions": rows}


def _known_films(catalog, movie_ids: list[int], field: str) -> None:
    known = set(catalog.movies["movie_id"].astype("int64"))
    for position, movie_id in enumerate(movie_ids):
        if movie_id not in known:
            raise ApiError(422, f"{field}.{position}", f"no film with movie_id {movie_id} in catalog {catalog.name!r}")


@router.post("/personal/{profile}/labels", response_model=LabelsResult,
             summary="Save labels (durable, the Labeling page's store): all of them, or none on any error")
def personal_labels(profile: ProfileName, body: LabelsRequest, res: Resources = Depends(resources)) -> dict:
    from core import personal

    name = res.catalog_name(body.catalog)
    catalog = res.catalog(name)
    _known_films(catalog, [row.movie_id for row in body.labels], "labels")
    store = res.labels_store()
    titles = catalog.movies.set_index("movie_id")["title"]
    rows = [{**row.model_dump(), "title": row.title or str(titles.get(row.movie_id, ""))} for row in body.labels]
    written = store.import_rows(profile, name, rows)  # one transaction: every label, or none
    summary = personal.label_summary(store, profile, name)
    return {"profile": profile, "catalog": name, "written": written, "labels_version": store.version(profile, name),
            "counts": finite(summary["counts"])}


# ------------------------------------------------------------------ collaborative filtering

def _cf_rows(frame, catalog) -> list[dict]:
    if frame is None or len(frame) == 0:
        return []
    frame = frame.merge(catalog.movies[["movie_id", "title", "year"]], on="movie_id", how="left")
    frame["year"] = frame["year"].astype("Int64")
    return records(frame[["rank", "movie_id", "title", "year", "score", "source", "flag"]])


@router.get("/cf/recommendations", response_model=CFResult,
            summary="Top-n unseen films for a catalog user (popularity for too few ratings)")
def cf_recommendations(user_id: Annotated[int, Query(ge=0, le=2 ** 63 - 1)], catalog: CatalogQuery = None,
                       n: Annotated[int, Query(ge=1, le=100)] = 10, res: Resources = Depends(resources)) -> dict:
    name = res.catalog_name(catalog)
    model, version = res.cf(name)
    data = res.catalog(name)
    frame = model.recommend(data.ratings, user_ids=[user_id], n=n)
    return {"catalog": name, "user_id": user_id, "model_version": version, "recommendations": _cf_rows(frame, data)}


@router.post("/cf/recommendations", response_model=CFResult,
             summary="Top-n films for someone new, folded in from the ratings posted (nothing is stored)")
def cf_fold_in(body: FoldInRequest, res: Resources = Depends(resources)) -> dict:
    import pandas as pd

    name = res.catalog_name(body.catalog)
    model, version = res.cf(name)
    data = res.catalog(name)
    _known_films(data, [r.movie_id for r in body.ratings], "ratings")
    low, high = model.model_.rating_scale
    for position, rating in enumerate(body.ratings):
        if not low <= rating.rating <= high:
            raise ApiError(422, f"ratings.{position}.rating", f"must be within the catalog's rating scale "
                                                              f"[{low:g}, {high:g}], got {rating.rating:g}")
    newcomer = int(data.ratings["user_id"].max()) + 1 if len(data.ratings) else 0
    history = pd.DataFrame({"user_id": newcomer, "movie_id": [r.movie_id for r in body.ratings],
                            "rating": [r.rating for r in body.ratings]})
    history = history.drop_duplicates("movie_id", keep="last")
    frame = model.recommend(history, user_ids=[newcomer], n=body.n)
    return {"catalog": name, "user_id": None, "model_version": version, "recommendations": _cf_rows(frame, data)}


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
