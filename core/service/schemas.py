"""Typed request and response models (the OpenAPI schema at ``/docs`` is generated from these).

Requests are strict: unknown fields, wrong JSON types ("10" for a number, true for an id) and
non-finite numbers (NaN, Infinity) are refused with a 422 naming the field. Bounds mirror the
core checks (``SearchParams.validate``, ``core.validation``) so a refusal comes before any work.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.search import LANGUAGE_POLICIES, METHODS
from core.search.engine import MAX_QUERY_CHARS
from core.validation import INT64_MAX

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
MAX_K = 100

CatalogName = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64,
                                   description="catalog name (default: the active catalog)")]
MovieId = Annotated[int, Field(ge=0, le=INT64_MAX)]
ShortText = Annotated[str, Field(min_length=1, max_length=100)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Response(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)


# ------------------------------------------------------------------ catalogs, health, models

class CatalogInfo(Response):
    name: str
    active: bool
    synthetic: bool
    source: str | None = None
    row_counts: dict[str, int] = {}
    created_at: str | None = None
    problem: str | None = None


class LoadedResource(Response):
    kind: str
    catalog: str
    profile: str | None = None
    version: str
    loaded_at: str


class Health(Response):
    status: Literal["ok"]
    catalogs: list[str]
    active_catalog: str | None
    loaded: list[LoadedResource]
    versions: dict[str, str]


class VersionInfo(Response):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    version: str
    status: str | None = None
    created_at: str | None = None
    metrics: dict[str, Any] = {}


class ModelSlot(Response):
    kind: str
    catalog: str
    profile: str | None = None
    champion: str | None = None
    versions: list[VersionInfo] = []
    error: str | None = None


# ------------------------------------------------------------------ search

class SearchFilters(Request):
    year_min: int | None = Field(None, ge=1000, le=3000)
    year_max: int | None = Field(None, ge=1000, le=3000)
    genres: list[ShortText] = Field(default_factory=list, max_length=50)
    languages: list[Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}$")]] = Field(default_factory=list, max_length=50)
    min_votes: int | None = Field(None, ge=0, le=10 ** 12)


class SearchRequest(Request):
    catalog: CatalogName | None = None
    query: str = Field("", max_length=MAX_QUERY_CHARS,
                       description="words, people, a description; or leave empty and give 'like'")
    like: list[MovieId | Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=50, description="'more like these': movie ids or titles ('Title (Year)')")
    method: Literal[METHODS] = "hybrid"  # type: ignore[valid-type]
    k: int = Field(10, ge=1, le=MAX_K)
    mmr_lambda: float = Field(0.7, ge=0.0, le=1.0)
    language_policy: Literal[LANGUAGE_POLICIES] = "auto-soft"  # type: ignore[valid-type]
    min_score: float | None = Field(None, ge=0.0, le=1.0, description="below this best score the answer is "
                                    "'no good match' (default: the searcher's; 0 lists the closest films anyway)")
    filters: SearchFilters = Field(default_factory=SearchFilters)


class SearchHit(Response):
    movie_id: int
    title: str
    year: int | None = None
    score: float | None = None
    method_score: float | None = None
    language: str
    genres: list[str]
    poster_url: str
    overview: str
    reasons: list[str]
    explanation: dict[str, Any]


class SearchResult(Response):
    catalog: str
    index_version: str
    query: str
    method: str
    results: list[SearchHit]
    intent: dict[str, Any]
    notices: list[str]
    elapsed_ms: float
    no_match: str = Field("", description="why no film is listed (\"no good match\"), empty otherwise")


# ------------------------------------------------------------------ casting

class CastingBriefRequest(Request):
    """The Casting page's brief form (ranges mirror the form; the catalog's years, genres and
    languages are checked by core's ``validate_brief``)."""
    catalog: CatalogName | None = None
    year: int = Field(ge=1800, le=2200)
    budget_musd: float = Field(30.0, gt=0, le=100_000, description="millions of US dollars")
    genres: list[ShortText] = Field(min_length=1, max_length=20)
    bill_order: int = Field(1, ge=1, le=50, description="1 = top billed")
    n: int = Field(5, ge=1, le=50, description="slate size")
    director: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    language: Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}$")] | None = None
    country: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[^\W\d_](?:[^\W\d_]|[ .'\-])*$",
                                  description="main production country as the catalog names it (\"USA\")")] | None = None
    director_weight: float | None = Field(None, ge=0.0, le=2.0, description="director synergy weight (default: the model's)")


class Row(Response):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)


class CastingBriefResult(Response):
    catalog: str
    model_version: str
    brief: dict[str, Any]
    slate: list[Row]
    alternates: list[Row]
    reasons: list[Row]
    comparables: list[Row]
    flags: dict[str, Any]
    timings: dict[str, float | None]


# ------------------------------------------------------------------ personal

Label = Literal["would_not_watch", "would_watch", "would_watch_many"]


class PredictRequest(Request):
    catalog: CatalogName | None = None
    movie_ids: list[MovieId] = Field(min_length=1, max_length=1000)


class Prediction(Response):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    movie_id: int
    p_watch: float | None = None
    prediction: str | None = None
    flag: str | None = None


class PredictResult(Response):
    profile: str
    catalog: str
    model: Literal["profile", "shared"]
    model_version: str
    predictions: list[Prediction]


class Recommendation(Response):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    movie_id: int
    rank: int
    title: str | None = None
    year: int | None = None
    p_watch: float | None = None
    reason: str | None = None
    flag: str | None = None


class RecommendationsResult(Response):
    profile: str
    catalog: str
    model: Literal["profile", "shared"]
    model_version: str
    recommendations: list[Recommendation]


class LabelIn(Request):
    movie_id: MovieId
    label: Label
    title: Annotated[str, Field(max_length=500)] | None = None


class LabelsRequest(Request):
    catalog: CatalogName | None = None
    labels: list[LabelIn] = Field(min_length=1, max_length=1000)


class LabelsResult(Response):
    profile: str
    catalog: str
    written: int
    labels_version: int
    counts: dict[str, int]


# ------------------------------------------------------------------ collaborative filtering

class RatingIn(Request):
    movie_id: MovieId
    rating: float = Field(ge=-1e6, le=1e6)


class FoldInRequest(Request):
    catalog: CatalogName | None = None
    ratings: list[RatingIn] = Field(min_length=1, max_length=2000)
    n: int = Field(10, ge=1, le=MAX_K)


class CFRecommendation(Response):
    rank: int
    movie_id: int
    title: str | None = None
    year: int | None = None
    score: float | None = None
    source: str
    flag: str


class CFResult(Response):
    catalog: str
    user_id: int | None = None
    model_version: str
    recommendations: list[CFRecommendation]
