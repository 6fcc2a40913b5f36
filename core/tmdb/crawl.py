"""The three long jobs — discover, backfill, sync — each resumable from its work folder.

``discover`` lists every film released in a date range (windowed past the result cap) and
fetches details with credits; ``backfill`` fetches details for catalog rows with no cast and no
director; ``sync`` asks ``/movie/changes`` which films changed since the catalog's last sync
and refetches only those. All three checkpoint raw answers per batch (``checkpoint.WorkDir``),
write the catalog through ``core.catalog.store`` sorted by id (so an interrupted and resumed
run ends byte-identical to an uninterrupted one), and stop cleanly when ``stop`` is set.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from core.catalog import store
from core.errors import MarqueeError
from core.io import utc_now
from core.progress import ProgressFn, null_progress
from core.tmdb.checkpoint import WorkDir
from core.tmdb.client import TMDbClient, Unreachable, make_client
from core.tmdb.limiter import DEFAULT_RATE
from core.tmdb.mapping import PRINCIPAL_CREW, apply_details, credited_movies, listing_tables
from core.tmdb.windowing import DiscoverCrawler, Stopped, Window

log = logging.getLogger(__name__)

SOURCE = "tmdb"
CHANGES_MAX_DAYS = 14


@dataclass
class CrawlOptions:
    """How to crawl (speed, politeness); none of these change what ends up in the catalog."""

    concurrency: int = 8
    max_rate: float = DEFAULT_RATE
    batch_size: int = 200
    timeout: float = 15.0
    max_retries: int = 6
    backoff_base: float = 0.5
    max_attempts: int = 4
    max_pages: int = 500
    page_size: int = 20
    keep_work: bool = False

    def client_options(self) -> dict[str, Any]:
        return {"concurrency": self.concurrency, "max_rate": self.max_rate, "timeout": self.timeout,
                "max_retries": self.max_retries, "backoff_base": self.backoff_base}


@dataclass
class Connection:
    """Where and as whom: the key itself stays inside the client, never in parameters."""

    api_key: str | None = field(default=None, repr=False)
    key_source: str = "the page"
    base_url: str | None = None

    def client(self, options: CrawlOptions, language: str | None = None) -> TMDbClient:
        return make_client(self.api_key, self.base_url, self.key_source, language=language, **options.client_options())


class Tracker:
    """Feeds ``progress(done, total, "phase: …")`` for the CLI bar and the page."""

    def __init__(self, progress: ProgressFn | None):
        self.progress = progress or null_progress
        self.name, self.done, self.total = "", 0, None

    def phase(self, name: str, total: int | None, done: int = 0) -> None:
        self.name, self.total, self.done = name, total, done
        self.emit()

    def set_total(self, total: int) -> None:
        self.total = (self.total or 0) + total if self.name == "discover" else total
        self.emit()

    def add(self, count: int = 1) -> None:
        self.done += count
        self.emit()

    def emit(self) -> None:
        unit = "films listed" if self.name == "discover" else "films fetched"
        self.progress(self.done, self.total, f"{self.name}: {unit}")


def _first_error(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error


def parse_date(value: str | dt.date, label: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise MarqueeError(f"{label} {value!r} is not a date (use YYYY-MM-DD)") from None


def date_presets(today: dt.date | None = None) -> dict[str, tuple[dt.date, dt.date]]:
    """Named release-date ranges offered by the page and ``--preset``."""
    today = today or dt.date.today()
    return {
        "last-30-days": (today - dt.timedelta(days=30), today),
        "this-year": (dt.date(today.year, 1, 1), today),
        "last-year": (dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)),
        "last-5-years": (dt.date(today.year - 5, 1, 1), today),
        "2010s": (dt.date(2010, 1, 1), dt.date(2019, 12, 31)),
        "2000s": (dt.date(2000, 1, 1), dt.date(2009, 12, 31)),
        "1990s": (dt.date(1990, 1, 1), dt.date(1999, 12, 31)),
        "everything": (dt.date(1874, 1, 1), today + dt.timedelta(days=365)),
    }


# ---------------------------------------------------------------------------- shared details fetching
async def fetch_details(client: TMDbClient, work: WorkDir, ids: list[int], batch_size: int, stop,
                        tracker: Tracker, max_consecutive_failures: int | None = None) -> dict[str, Any]:
    """``/movie/{id}`` (with credits) for every id not yet checkpointed, ``batch_size`` per file."""
    done = work.done_detail_ids()
    todo = deque(i for i in ids if i not in done)
    tracker.phase("details", len(ids), len(ids) - len(todo))
    buffer: list[dict] = []
    failed: list[int] = []
    streak = {"failures": 0, "last": ""}
    limit = max_consecutive_failures or 3 * client.concurrency + 3

    def flush() -> None:
        if buffer:
            work.write_batch(list(buffer))
            buffer.clear()

    async def worker() -> None:
        while todo and not (stop is not None and stop.is_set()):
            movie_id = todo.popleft()
            try:
                data = await client.movie(movie_id)
            except Unreachable as exc:
                failed.append(movie_id)
                streak["failures"] += 1
                streak["last"] = exc.detail
                if streak["failures"] >= limit:
                    raise Unreachable(f"TMDb stopped answering ({streak['last']}); progress is saved, "
                                      "run the same command again to resume", streak["last"]) from None
                continue
            streak["failures"] = 0
            buffer.append({"id": movie_id, "found": data is not None, "data": data})
            tracker.add()
            if len(buffer) >= batch_size:
                flush()

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(client.concurrency):
                group.create_task(worker())
    except BaseExceptionGroup as group_error:
        raise _first_error(group_error) from None
    finally:
        flush()
    return {"requested": len(ids), "already_checkpointed": len(done), "failed": sorted(failed),
            "stopped": bool(todo) and stop is not None and stop.is_set()}


def _run(work: WorkDir, kind: str, parameters: dict[str, Any], restart: bool,
         job: Callable[[dict[str, Any]], Any]) -> Any:
    """Lock the work folder, open (or resume) the job's state, run ``job(state)``, unlock."""
    work.acquire()
    try:
        state = work.open(kind, parameters, restart)
        return asyncio.run(job(state))
    finally:
        work.release()


def _finish(work: WorkDir, status: str, options: CrawlOptions) -> None:
    if status == "complete" and not options.keep_work:
        work.remove()


def _result(status: str, name: str, **fields) -> dict[str, Any]:
    return {"status": status, "catalog": name, **fields}


# ---------------------------------------------------------------------------- discover
def discover(name: str, start: str | dt.date, end: str | dt.date, *, details: bool = True,
             include_adult: bool = False, language: str | None = "en-US", region: str | None = None,
             sort_by: str = "popularity.desc", all_crew: bool = False, connection: Connection | None = None,
             options: CrawlOptions | None = None, progress: ProgressFn | None = None, stop=None,
             restart: bool = False, data_dir: Path | None = None) -> dict[str, Any]:
    """List every film released in [start, end], fetch details, write catalog ``name``."""
    first, last = parse_date(start, "start date"), parse_date(end, "end date")
    if first > last:
        raise MarqueeError(f"start date {first} is after end date {last}")
    options, connection = options or CrawlOptions(), connection or Connection()
    store.validate_name(name)
    client = connection.client(options, language)  # resolves the key first: no key, no work folder
    parameters = {"start": first.isoformat(), "end": last.isoformat(), "details": details,
                  "include_adult": include_adult, "language": language, "region": region, "sort_by": sort_by,
                  "crew": "all" if all_crew else "principal"}
    work = WorkDir(name, data_dir)
    tracker = Tracker(progress)
    base = {"include_adult": str(include_adult).lower(), "include_video": "false", "sort_by": sort_by,
            "region": region}

    async def job(state: dict[str, Any]) -> dict[str, Any]:
        async with client:
            if "genres" not in state:
                state["genres"] = {str(k): v for k, v in (await client.genres()).items()}
                work.save_state(state)
            tracker.phase("discover", None)
            crawler = DiscoverCrawler(client, work.window_store(), base, max_pages=options.max_pages,
                                      page_size=options.page_size, max_attempts=options.max_attempts, stop=stop,
                                      on_leaf=tracker.add, on_total=tracker.set_total)
            try:
                try:
                    windows = await crawler.run([Window(first.isoformat(), last.isoformat())])
                except BaseExceptionGroup as group_error:
                    raise _first_error(group_error) from None
            except Stopped:
                return _result("stopped", name, phase="discover", listed=tracker.done)
            listing, repeats = work.listing()
            fetched = {"failed": [], "stopped": False}
            if details:
                fetched = await fetch_details(client, work, sorted(listing), options.batch_size, stop, tracker)
                if fetched["stopped"]:
                    return _result("stopped", name, phase="details", fetched=tracker.done, total=len(listing))
            client_stats = client.stats.as_dict()
        tables, repairs = listing_tables([listing[i] for i in sorted(listing)],
                                         {int(k): v for k, v in state["genres"].items()})
        report: dict[str, Any] = {"windows": windows, "listed": len(listing), "repeats_dropped": repeats,
                                  "listing_repairs": dict(repairs), "client": client_stats}
        if details:
            tables, report["details"] = apply_details(tables, work.detail_records(), tmdb_people=True,
                                                      crew_jobs=None if all_crew else PRINCIPAL_CREW)
        report["failed_ids"] = fetched["failed"]
        status = "incomplete" if fetched["failed"] else "complete"
        store.write_catalog(name, tables, source=SOURCE, data_dir=data_dir, report=report, parameters={
            **parameters, "api_base": client.base_url, "synced_at": state["started_at"],
            "options": asdict(options)})
        _finish(work, status, options)
        counts = {t: int(len(tables[t])) for t in ("movies", "people", "credits")}
        return _result(status, name, counts=counts, windows={k: windows[k] for k in ("leaves", "splits", "max_depth")},
                       short_windows=len(windows["short_windows"]), failed=len(fetched["failed"]),
                       requests=client_stats["requests"])

    return _run(work, "discover", parameters, restart, job)


# ---------------------------------------------------------------------------- backfill and sync
def _catalog_ids(catalog: store.Catalog) -> dict[int, int]:
    movies = catalog.movies
    return {int(t): int(m) for t, m in zip(movies["tmdb_id"], movies["movie_id"]) if t == t and t is not None}


def backfill_targets(catalog: store.Catalog) -> list[int]:
    """TMDb ids of films with neither a cast nor a director credit."""
    credited = set(credited_movies(catalog.credits))
    return sorted(t for t, m in _catalog_ids(catalog).items() if m not in credited)


def _digest(ids: list[int]) -> str:
    return hashlib.sha256(json.dumps(ids).encode()).hexdigest()[:16]


def backfill(name: str, *, limit: int | None = None, all_crew: bool = False, language: str | None = "en-US",
             connection: Connection | None = None, options: CrawlOptions | None = None,
             progress: ProgressFn | None = None, stop=None, restart: bool = False,
             data_dir: Path | None = None) -> dict[str, Any]:
    """Fetch details and credits for the catalog's films that have none, and rewrite it."""
    options, connection = options or CrawlOptions(), connection or Connection()
    catalog = store.load_catalog(name, data_dir)
    targets = backfill_targets(catalog)[: limit if limit else None]
    client = connection.client(options, language)
    parameters = {"catalog_checksum": catalog.data_checksum, "targets": len(targets), "ids": _digest(targets),
                  "crew": "all" if all_crew else "principal", "language": language}
    work = WorkDir(name, data_dir)
    tracker = Tracker(progress)

    async def job(state: dict[str, Any]) -> dict[str, Any]:
        async with client:
            fetched = await fetch_details(client, work, targets, options.batch_size, stop, tracker)
            client_stats = client.stats.as_dict()
        if fetched["stopped"]:
            return _result("stopped", name, phase="details", fetched=tracker.done, total=len(targets))
        return _rewrite(catalog, work, options, fetched, client_stats, all_crew, data_dir, "backfill",
                        {"backfilled": len(targets)})

    return _run(work, "backfill", parameters, restart, job)


def sync(name: str, *, since: str | None = None, include_new: bool = False, all_crew: bool = False,
         language: str | None = "en-US", connection: Connection | None = None, options: CrawlOptions | None = None,
         progress: ProgressFn | None = None, stop=None, restart: bool = False, data_dir: Path | None = None,
         today: dt.date | None = None) -> dict[str, Any]:
    """Refetch only the films TMDb reports as changed since the catalog's last sync."""
    options, connection = options or CrawlOptions(), connection or Connection()
    catalog = store.load_catalog(name, data_dir)
    params = catalog.manifest.get("parameters", {})
    since = since or params.get("synced_at")
    if not since:
        raise MarqueeError(f"catalog {name!r} records no sync time (it was not built by the TMDb downloader); "
                           "pass --since YYYY-MM-DD")
    first = parse_date(str(since)[:10], "sync start")
    until = today or dt.datetime.now(dt.timezone.utc).date()
    if include_new and not (params.get("start") and params.get("end")):
        raise MarqueeError(f"catalog {name!r} has no release-date range, so new films cannot be placed; "
                           "sync without --include-new")
    client = connection.client(options, language)
    parameters = {"catalog_checksum": catalog.data_checksum, "since": first.isoformat(), "until": until.isoformat(),
                  "include_new": include_new, "crew": "all" if all_crew else "principal", "language": language}
    work = WorkDir(name, data_dir)
    tracker = Tracker(progress)
    known = _catalog_ids(catalog)

    async def job(state: dict[str, Any]) -> dict[str, Any]:
        async with client:
            if "changed" not in state:
                tracker.phase("changes", None)
                state["changed"] = await changed_films(client, first, until)
                work.save_state(state)
            adult_ok = bool(params.get("include_adult", False))
            targets = sorted(i for i, adult in state["changed"]
                             if i in known or (include_new and (adult_ok or not adult)))
            fetched = await fetch_details(client, work, targets, options.batch_size, stop, tracker)
            client_stats = client.stats.as_dict()
        if fetched["stopped"]:
            return _result("stopped", name, phase="details", fetched=tracker.done, total=len(targets))

        def in_range(row: dict) -> bool:
            return bool(row["release_date"]) and params["start"] <= row["release_date"] <= params["end"] and \
                (adult_ok or not row["adult"])

        return _rewrite(catalog, work, options, fetched, client_stats, all_crew, data_dir, "sync",
                        {"changed_on_tmdb": len(state["changed"]), "refetched": len(targets)},
                        add_new=include_new, accept_new=in_range,
                        parameters={**params, "synced_at": state["started_at"]})

    return _run(work, "sync", parameters, restart, job)


async def changed_films(client: TMDbClient, first: dt.date, until: dt.date) -> list[tuple[int, bool]]:
    """``(id, adult)`` of every film in ``/movie/changes`` from ``first`` to ``until``, 14 days per query."""
    windows, day = [], first
    while day <= until:
        end = min(day + dt.timedelta(days=CHANGES_MAX_DAYS - 1), until)
        windows.append((day.isoformat(), end.isoformat()))
        day = end + dt.timedelta(days=1)

    async def one_window(start: str, end: str) -> list[dict]:
        reply = await client.changes(start, end, 1)
        rest = await asyncio.gather(*(client.changes(start, end, p) for p in range(2, int(reply.get("total_pages", 1)) + 1)))
        return [item for page in (reply, *rest) for item in page.get("results", [])]

    found: dict[int, bool] = {}
    for items in await asyncio.gather(*(one_window(s, e) for s, e in windows)):
        for item in items:
            found[int(item["id"])] = bool(item.get("adult", False))
    return sorted(found.items())


def _rewrite(catalog: store.Catalog, work: WorkDir, options: CrawlOptions, fetched: dict, client_stats: dict,
             all_crew: bool, data_dir: Path | None, action: str, counts: dict, add_new: bool = False,
             accept_new=None, parameters: dict | None = None) -> dict[str, Any]:
    tmdb = catalog.manifest.get("source") == SOURCE
    tables, report = apply_details(store.catalog_tables(catalog), work.detail_records(), tmdb_people=tmdb,
                                   overwrite=tmdb, drop_missing=tmdb, add_new=add_new, accept_new=accept_new,
                                   crew_jobs=None if all_crew else PRINCIPAL_CREW)
    status = "incomplete" if fetched["failed"] else "complete"
    history = dict(catalog.manifest.get("report", {}))
    history[action] = {**counts, **report, "failed_ids": fetched["failed"], "client": client_stats,
                       "at": utc_now().isoformat(timespec="seconds")}
    store.rewrite_catalog(catalog, tables=tables, report=history, parameters=parameters,
                          extra_folders=("splits",), data_dir=data_dir)
    _finish(work, status, options)
    return _result(status, catalog.name, **counts, **{k: v for k, v in report.items() if k != "repairs"},
                   failed=len(fetched["failed"]), requests=client_stats["requests"])
