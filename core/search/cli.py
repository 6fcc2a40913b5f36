"""Search commands: ``index build``, ``index status``, ``search`` (one query or a JSONL batch)
and ``search-eval`` (known-item recall@k / MRR per method)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.cli import add_catalog_arg, add_json_flag, emit, resolve_catalog
from core.engine import SPARK, add_engine_arg, engine_setting
from core.errors import MarqueeError
from core.progress import StderrProgress


def register(subparsers: argparse._SubParsersAction) -> None:
    from core.search.engine import LANGUAGE_POLICIES, METHODS, SearchParams

    p = subparsers.add_parser("index", help="build or inspect the search index of a catalog")
    actions = p.add_subparsers(dest="index_action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="build (incrementally) the dense + BM25 index")
    add_catalog_arg(build)
    add_engine_arg(build)
    add_json_flag(build)
    build.set_defaults(handler=_index_build)
    status = actions.add_parser("status", help="does an up-to-date index exist?")
    add_catalog_arg(status)
    add_json_flag(status)
    status.set_defaults(handler=_index_status)

    p = subparsers.add_parser("search", help="search films by words, people, description or seed titles")
    p.add_argument("query", nargs="?", help="the query (or use --queries-file / --like)")
    add_catalog_arg(p)
    p.add_argument("--method", choices=METHODS, default="hybrid")
    p.add_argument("--k", type=int, default=10, help="number of results (default 10)")
    p.add_argument("--queries-file", type=Path, help="JSONL file, one object with a 'query' field per line")
    p.add_argument("--like", action="append", default=[], metavar="TITLE",
                   help="'more like these': a seed title (repeat for several; 'Title (Year)' disambiguates)")
    defaults = SearchParams()
    p.add_argument("--language-policy", choices=LANGUAGE_POLICIES, default=defaults.language_policy)
    p.add_argument("--mmr-lambda", type=float, default=defaults.mmr_lambda)
    p.add_argument("--dense-k", type=int, default=defaults.dense_k, help="dense candidates fused by hybrid")
    p.add_argument("--sparse-k", type=int, default=defaults.sparse_k, help="BM25 candidates fused by hybrid")
    p.add_argument("--rrf-k", type=float, default=defaults.rrf_k, help="RRF constant: 1/(rrf_k + rank)")
    p.add_argument("--dense-weight", type=float, default=defaults.dense_weight)
    p.add_argument("--sparse-weight", type=float, default=defaults.sparse_weight)
    p.add_argument("--min-score", type=float, default=defaults.min_score,
                   help="below this best score the answer is 'no good match' (scores are in [0, 1]; 0 lists films anyway)")
    p.add_argument("--year-min", type=int)
    p.add_argument("--year-max", type=int)
    p.add_argument("--genre", action="append", default=[], help="keep films of this genre (repeatable)")
    p.add_argument("--language", action="append", default=[], help="keep films in this ISO code (repeatable)")
    p.add_argument("--min-votes", type=int)
    add_json_flag(p)
    p.set_defaults(handler=_search)

    p = subparsers.add_parser("search-eval", help="known-item evaluation: recall@k and MRR per method")
    add_catalog_arg(p)
    p.add_argument("--n", type=int, default=300, help="number of generated queries (default 300)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--methods", default="retrieval,bm25,hybrid,blend,mmr",
                   help="comma-separated methods (default retrieval,bm25,hybrid,blend,mmr)")
    add_json_flag(p)
    p.set_defaults(handler=_search_eval)


def _index_build(args) -> int:
    from core.search.index import build_index

    name = resolve_catalog(args.catalog)
    if engine_setting(args.engine) == SPARK:
        from core.spark import build_index_spark as build_index  # embeds on Spark, then builds as below
    _, stats = build_index(name, progress=StderrProgress(f"index {name}"))
    emit(stats, args.json)
    return 0


def _index_status(args) -> int:
    from core.search.index import index_status

    status = index_status(resolve_catalog(args.catalog))
    status.pop("manifest", None)
    emit(status, args.json)
    return 0


def _params(args):
    from core.search.engine import SearchParams

    return SearchParams(method=args.method, k=args.k, dense_k=args.dense_k, sparse_k=args.sparse_k, rrf_k=args.rrf_k,
                        dense_weight=args.dense_weight, sparse_weight=args.sparse_weight, mmr_lambda=args.mmr_lambda,
                        language_policy=args.language_policy, min_score=args.min_score).validate()


def _search(args) -> int:
    from core.search import Encoder
    from core.search.engine import Filters
    from core.search.index import index_status
    from core.search.serving import load_searcher

    if sum(bool(x) for x in (args.query, args.queries_file, args.like)) != 1:
        raise MarqueeError("give exactly one of: a QUERY, --queries-file FILE or --like TITLE")
    params = _params(args)
    filters = Filters(year_min=args.year_min, year_max=args.year_max, genres=args.genre,
                      languages=args.language, min_votes=args.min_votes)
    batch = _read_queries(args.queries_file) if args.queries_file else None
    name = resolve_catalog(args.catalog)
    status = index_status(name)
    if status["exists"] and not status["fresh"]:
        print(f"warning: the search index of {name!r} is stale ({status['reason']}); "
              f"run `python -m core index build --catalog {name}`", file=sys.stderr)
    searcher = load_searcher(name, Encoder())
    if batch is not None:
        for query in batch:
            try:
                response = searcher.search(query, params, filters)
                line = {"query": query, "results": [_brief(h) for h in response.hits]}
                if response.no_match:
                    line["no_match"] = response.no_match
            except MarqueeError as exc:
                line = {"query": query, "results": [], "error": str(exc)}
            print(json.dumps(line, ensure_ascii=False), flush=True)
        return 0
    response = searcher.more_like(args.like, params, filters) if args.like else searcher.search(args.query, params, filters)
    for notice in response.notices:
        print(f"note: {notice}", file=sys.stderr)
    if response.no_match:
        print(f"note: {response.no_match}", file=sys.stderr)
    emit([h.as_dict() for h in response.hits], args.json, text=lambda hits: "\n".join(
        f"{i:>3}. {h['title']} ({h['year'] or '?'})  {h['score']:.4f}  {'; '.join(h['reasons'])}"
        for i, h in enumerate(hits, start=1)) or "no results")
    return 0


def _brief(hit) -> dict:
    return {"title": hit.title, "year": hit.year, "score": hit.score, "movie_id": hit.movie_id}


def _read_queries(path: Path) -> list[str]:
    """Every line validated before any search runs, so a bad line fails the batch up front."""
    if not path.exists():
        raise MarqueeError(f"{path}: queries file not found")
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MarqueeError(f"{path}: line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("query"), str):
            raise MarqueeError(f"{path}: line {number}: expected an object with a string 'query' field")
        queries.append(record["query"])
    return queries


def _search_eval(args) -> int:
    from core.search.evaluation import run_search_eval

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    report = run_search_eval(resolve_catalog(args.catalog), n=args.n, seed=args.seed, k=args.k, methods=methods,
                             progress=StderrProgress("search-eval"))
    emit(report, args.json, text=lambda r: "\n".join(
        [f"{r['queries']} known-item queries {r['kinds']} on {r['catalog']}, k={r['k']}"] +
        [f"{m:<10} recall@{r['k']}={v['recall']:.3f}  MRR={v['mrr']:.3f}  {v['mean_ms']:.1f} ms/query"
         for m, v in r["methods"].items()]))
    return 0
