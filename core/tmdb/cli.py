"""``python -m core tmdb check|discover|backfill|sync``: the Download page without the page."""
from __future__ import annotations

import argparse
import time

from core.cli import add_json_flag, emit
from core.errors import MarqueeError
from core.progress import StderrProgress
from core.tmdb.limiter import DEFAULT_RATE, MAX_CONNECTIONS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tmdb", help="download films from TMDb (key: TMDB_API_KEY or TMDB_BEARER_TOKEN)")
    commands = parser.add_subparsers(dest="tmdb_command", required=True, metavar="ACTION")

    p = commands.add_parser("check", help="smoke-test the key: list a few popular films")
    _connection_args(p)
    add_json_flag(p)
    p.set_defaults(handler=_check)

    p = commands.add_parser("discover", help="list every film released in a date range, fetch details and credits")
    p.add_argument("--catalog", required=True, help="catalog to write")
    p.add_argument("--from", dest="start", help="first release date, YYYY-MM-DD")
    p.add_argument("--to", dest="end", help="last release date, YYYY-MM-DD")
    p.add_argument("--preset", help="named range instead of --from/--to: " + ", ".join(_preset_names()))
    p.add_argument("--include-adult", action="store_true", help="include adult films")
    p.add_argument("--language", default="en-US", help="language of titles and overviews (default en-US)")
    p.add_argument("--region", help="ISO 3166-1 region for release dates, e.g. US")
    p.add_argument("--no-details", action="store_true", help="list films only (fill in later with backfill)")
    _crawl_args(p)
    p.set_defaults(handler=_discover)

    p = commands.add_parser("backfill", help="fetch details and credits for films with blank cast and directors")
    p.add_argument("--catalog", required=True)
    p.add_argument("--limit", type=int, help="at most this many films")
    p.add_argument("--language", default="en-US")
    _crawl_args(p)
    p.set_defaults(handler=_backfill)

    p = commands.add_parser("sync", help="refetch only films TMDb reports as changed since the last sync")
    p.add_argument("--catalog", required=True)
    p.add_argument("--since", help="override the catalog's recorded last sync date (YYYY-MM-DD)")
    p.add_argument("--include-new", action="store_true",
                   help="also add changed films not yet in the catalog whose release date is in its range")
    p.add_argument("--language", default="en-US")
    _crawl_args(p)
    p.set_defaults(handler=_sync)


def _preset_names() -> list[str]:
    from core.tmdb.crawl import date_presets

    return list(date_presets())


def _connection_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--api-base", help="API base URL (default: TMDB_API_BASE or https://api.themoviedb.org/3)")


def _crawl_args(p: argparse.ArgumentParser) -> None:
    _connection_args(p)
    p.add_argument("--concurrency", type=int, default=8, help=f"requests in flight (1-{MAX_CONNECTIONS}, default 8)")
    p.add_argument("--rate", type=float, default=DEFAULT_RATE, help=f"max requests/s (default {DEFAULT_RATE:g})")
    p.add_argument("--batch-size", type=int, default=200, help="films per checkpoint file (default 200)")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds per request (default 15)")
    p.add_argument("--retries", type=int, default=6, help="retries per request (default 6)")
    p.add_argument("--max-pages", type=int, default=500,
                   help="the server's discover page cap (TMDb: 500; lower only for a test server)")
    p.add_argument("--all-crew", action="store_true", help="keep every crew job, not only the principal ones")
    p.add_argument("--restart", action="store_true", help="discard an unfinished crawl of this catalog")
    p.add_argument("--keep-work", action="store_true", help="keep the raw JSON work folder after success")
    add_json_flag(p)


def _options(args):
    from core.tmdb.crawl import CrawlOptions

    if not 1 <= args.concurrency <= MAX_CONNECTIONS:
        raise MarqueeError(f"--concurrency must be between 1 and {MAX_CONNECTIONS} (TMDb allows about "
                           f"{MAX_CONNECTIONS} connections per IP)")
    if args.batch_size < 1 or args.rate <= 0 or args.max_pages < 1:
        raise MarqueeError("--batch-size, --rate and --max-pages must be positive")
    return CrawlOptions(concurrency=args.concurrency, max_rate=args.rate, batch_size=args.batch_size,
                        timeout=args.timeout, max_retries=args.retries, keep_work=args.keep_work,
                        max_pages=args.max_pages)


class PhaseProgress:
    """A fresh stderr bar per phase, its rate counted from where this run started (resumes too)."""

    def __init__(self, label: str):
        self.label = label
        self.phase, self.bar, self.base = None, None, 0

    def __call__(self, done: int, total, message: str = "") -> None:
        phase = message.split(":", 1)[0]
        if phase != self.phase:
            self.phase, self.base = phase, done
            self.bar = StderrProgress(f"{self.label} {phase}")
        self.bar(done - self.base, None if total is None else total - self.base, message.split(":", 1)[-1].strip())


def _report(result: dict, args, started: float) -> int:
    result = {**result, "seconds": round(time.monotonic() - started, 1)}
    emit(result, args.json)
    return {"complete": 0, "stopped": 3, "incomplete": 1}.get(result["status"], 1)


def _check(args) -> int:
    from core.tmdb.client import check_key

    result = check_key(base_url=args.api_base, key_source="the environment")
    emit(result, args.json, text=lambda r: "\n".join(
        [f"TMDb answered at {r['api_base']} ({r['credentials']}); {r['total_results']} popular films, for example:"]
        + [f"  {f['id']:>8}  {f['title']} ({(f['release_date'] or '')[:4]})" for f in r["films"]]))
    return 0


def _common(args) -> dict:
    """Keyword arguments every crawl takes from the command line."""
    from core.tmdb.crawl import Connection

    return {"connection": Connection(base_url=args.api_base), "options": _options(args), "restart": args.restart,
            "progress": PhaseProgress("tmdb"), "language": args.language, "all_crew": args.all_crew}


def _discover(args) -> int:
    from core.tmdb.crawl import date_presets, discover

    if args.preset:
        presets = date_presets()
        if args.preset not in presets:
            raise MarqueeError(f"unknown preset {args.preset!r}; choose one of {', '.join(presets)}")
        start, end = presets[args.preset]
    elif args.start and args.end:
        start, end = args.start, args.end
    else:
        raise MarqueeError("give --from and --to, or --preset")
    started = time.monotonic()
    result = discover(args.catalog, start, end, details=not args.no_details, include_adult=args.include_adult,
                      region=args.region, **_common(args))
    return _report(result, args, started)


def _backfill(args) -> int:
    from core.tmdb.crawl import backfill

    started = time.monotonic()
    return _report(backfill(args.catalog, limit=args.limit, **_common(args)), args, started)


def _sync(args) -> int:
    from core.tmdb.crawl import sync

    started = time.monotonic()
    return _report(sync(args.catalog, since=args.since, include_new=args.include_new, **_common(args)), args, started)
