"""Recursive windowing of ``/discover/movie`` past its cap of 500 pages (10,000 results).

A window is a set of discover filters. Its first page tells how many films match
(``total_results``); a window under the cap is fetched page by page, a window over it is split
into disjoint children that together cover it, in this order of dimensions:

1. ``primary_release_date`` — bisect the date range down to single days;
2. ``vote_count.gte/lte`` — integer bands: bounded bands are bisected, the open top band
   ``[lo, ∞)`` splits into ``[lo, 2·lo+1]`` and ``[2·lo+2, ∞)``, so ``[0, 0]`` (the crowd of films
   nobody has voted on yet) is isolated in two steps;
3. ``with_runtime.gte/lte`` — the same banding on minutes;
4. ``with_original_language`` — one child per language of ``/configuration/languages``.

A window that still exceeds the cap after all four (more than 10,000 films on one day with the
same vote count, runtime and language) is read twice, in descending and ascending sort order,
which covers up to 20,000 films; anything beyond that is reported as a shortfall, never
silently dropped. Splits are checked too: children whose totals do not add up to their
parent's are reported (films whose language is not in TMDb's list, films without a runtime).

Pages can repeat or skip items at page borders while TMDb's cache shifts, so every window
counts its distinct films against ``total_results`` and is re-read (results united) until the
count matches or ``max_attempts`` is reached.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any, Callable

Band = tuple[int, int | None]


@dataclass(frozen=True)
class Window:
    start: str
    end: str
    votes: Band | None = None
    runtime: Band | None = None
    language: str | None = None

    @property
    def days(self) -> int:
        return (dt.date.fromisoformat(self.end) - dt.date.fromisoformat(self.start)).days + 1

    def key(self) -> str:
        parts = [f"d{self.start}_{self.end}"]
        for label, band in (("v", self.votes), ("r", self.runtime)):
            if band is not None:
                parts.append(f"{label}{band[0]}-{'' if band[1] is None else band[1]}")
        if self.language:
            parts.append(f"l{self.language}")
        return "_".join(parts)

    def filters(self) -> dict[str, Any]:
        params: dict[str, Any] = {"primary_release_date.gte": self.start, "primary_release_date.lte": self.end}
        for name, band in (("vote_count", self.votes), ("with_runtime", self.runtime)):
            if band is not None:
                params[f"{name}.gte"] = band[0]
                if band[1] is not None:
                    params[f"{name}.lte"] = band[1]
        if self.language:
            params["with_original_language"] = self.language
        return params

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Window":
        band = lambda b: None if b is None else (int(b[0]), None if b[1] is None else int(b[1]))  # noqa: E731
        return cls(data["start"], data["end"], band(data.get("votes")), band(data.get("runtime")), data.get("language"))


def split_band(band: Band) -> tuple[Band, Band] | None:
    low, high = band
    if high is None:
        middle = 2 * low + 1
        return (low, middle), (middle + 1, None)
    if low >= high:
        return None
    middle = (low + high) // 2
    return (low, middle), (middle + 1, high)


def split_window(window: Window, languages: list[str]) -> tuple[str, list[Window]] | None:
    """The dimension used and the disjoint children covering ``window``, or ``None`` if it cannot split."""
    if window.days > 1:
        first = dt.date.fromisoformat(window.start)
        middle = first + dt.timedelta(days=window.days // 2 - 1)
        return "date", [Window(window.start, middle.isoformat()),
                        Window((middle + dt.timedelta(days=1)).isoformat(), window.end)]
    for field in ("votes", "runtime"):
        band = getattr(window, field)
        halves = split_band(band if band is not None else (0, None))
        if halves is not None:
            return field, [_replace(window, **{field: half}) for half in halves]
    if window.language is None and languages:
        return "language", [_replace(window, language=code) for code in languages]
    return None


def _replace(window: Window, **changes) -> Window:
    return Window(**{**window.as_dict(), **changes})


class Stopped(Exception):
    """The caller asked the crawl to stop; everything finished so far is checkpointed."""


@dataclass
class WindowStore:
    """Where window results and splits are checkpointed (see ``checkpoint.WorkDir``)."""

    load_leaf: Callable[[Window], dict | None]
    save_leaf: Callable[[Window, dict], None]
    load_split: Callable[[Window], dict | None]
    save_split: Callable[[Window, dict], None]


class DiscoverCrawler:
    """Walks the window tree; ``run`` returns the report, results are in the store's leaves."""

    def __init__(self, client, store: WindowStore, base_params: dict[str, Any], *, max_pages: int = 500,
                 page_size: int = 20, max_attempts: int = 4, stop=None,
                 on_leaf: Callable[[int], None] | None = None, on_total: Callable[[int], None] | None = None):
        self.client = client
        self.store = store
        self.base = dict(base_params)
        self.max_pages = max_pages
        self.page_size = page_size
        self.cap = max_pages * page_size
        self.max_attempts = max_attempts
        self.stop = stop
        self.on_leaf = on_leaf or (lambda n: None)
        self.on_total = on_total or (lambda n: None)
        self._languages: list[str] | None = None
        self._window_slots = asyncio.Semaphore(max(2, getattr(client, "concurrency", 8)))
        self.report: dict[str, Any] = {"leaves": 0, "splits": {}, "refetched_windows": 0, "short_windows": [],
                                       "split_mismatches": [], "reordered_windows": 0, "max_depth": 0}

    def _check_stop(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise Stopped()

    async def run(self, roots: list[Window]) -> dict[str, Any]:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(self._walk(root, 0, top=True)) for root in roots]
        self.report["total_results"] = sum(t.result() for t in tasks)
        return self.report

    async def _walk(self, window: Window, depth: int, top: bool = False) -> int:
        """Crawl ``window`` (or reuse its checkpoint); returns its ``total_results``."""
        self.report["max_depth"] = max(self.report["max_depth"], depth)
        leaf = self.store.load_leaf(window)
        if leaf is not None:
            self._count_leaf(leaf, fresh=False, top=top)
            return int(leaf["total"])
        split = self.store.load_split(window)
        if split is None:
            self._check_stop()
            async with self._window_slots:
                first = await self.client.discover(self._params(window), 1)
                total = int(first.get("total_results", 0))
                if top:
                    self.on_total(total)
                plan = split_window(window, await self._language_list()) if total > self.cap else None
                if plan is None:
                    leaf = await self._fetch_leaf(window, first)
                    self.store.save_leaf(window, leaf)
                    self._count_leaf(leaf, fresh=True, top=False)
                    return total
            dimension, children = plan
            split = {"window": window.as_dict(), "total": total, "dimension": dimension,
                     "children": [c.as_dict() for c in children]}
            self.store.save_split(window, split)
        elif top:
            self.on_total(int(split["total"]))
        self.report["splits"][split["dimension"]] = self.report["splits"].get(split["dimension"], 0) + 1
        children = [Window.from_dict(c) for c in split["children"]]
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(self._walk(child, depth + 1)) for child in children]
        child_total = sum(t.result() for t in tasks)
        if child_total != split["total"]:
            self.report["split_mismatches"].append({"window": window.key(), "dimension": split["dimension"],
                                                    "total": split["total"], "children_total": child_total})
        return int(split["total"])

    def _count_leaf(self, leaf: dict, fresh: bool, top: bool) -> None:
        self.report["leaves"] += 1
        if top:
            self.on_total(int(leaf["total"]))
        if leaf.get("short"):
            self.report["short_windows"].append({"window": leaf["key"], "total": leaf["total"],
                                                 "fetched": leaf["fetched"], "attempts": leaf["attempts"]})
        self.report["refetched_windows"] += int(leaf.get("attempts", 1) > 1)
        self.report["reordered_windows"] += int(len(leaf.get("orders", [])) > 1)
        self.on_leaf(int(leaf["fetched"]))

    def _params(self, window: Window, order: str | None = None) -> dict[str, Any]:
        params = {**self.base, **window.filters()}
        if order is not None:
            params["sort_by"] = order
        return params

    async def _language_list(self) -> list[str]:
        if self._languages is None:
            self._languages = await self.client.languages()
        return self._languages

    async def _fetch_leaf(self, window: Window, first: dict) -> dict:
        """Every page of ``window``, re-read until the distinct count matches ``total_results``."""
        total = int(first.get("total_results", 0))
        orders = [self.base.get("sort_by", "popularity.desc")]
        if total > self.cap:  # unsplittable: read from both ends of the sort order
            key, _, direction = orders[0].partition(".")
            orders.append(f"{key}.{'asc' if direction == 'desc' else 'desc'}")
        found: dict[int, dict] = {}
        attempts = 0
        reply = first
        while True:
            attempts += 1
            self._check_stop()
            for order in orders:
                pages = min(math.ceil(int(reply.get("total_results", 0)) / self.page_size), self.max_pages)
                replies = await asyncio.gather(*(
                    self.client.discover(self._params(window, order), page)
                    for page in range(1, pages + 1) if not (attempts == 1 and order == orders[0] and page == 1)))
                if attempts == 1 and order == orders[0]:
                    replies = [first, *replies]
                for page_reply in replies:
                    total = int(page_reply.get("total_results", total))
                    for item in page_reply.get("results", []):
                        found[int(item["id"])] = item
            expected = min(total, self.cap * len(orders))
            if len(found) >= expected or attempts >= self.max_attempts:
                break
            reply = {"total_results": total}
        return {"key": window.key(), "window": window.as_dict(), "total": total, "fetched": len(found),
                "attempts": attempts, "orders": orders, "short": max(0, total - len(found)),
                "results": [found[i] for i in sorted(found)]}
