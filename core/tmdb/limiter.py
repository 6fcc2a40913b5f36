"""Adaptive pacing: at most ``concurrency`` requests in flight and start times spaced ``1/rate``
apart, so the client stays under TMDb's per-IP ceiling (about 50 requests/s, 20 connections).

A ``429`` halves the rate (at most once per cooldown) and pauses every request until its
``Retry-After`` has passed; each success wins a little rate back (additive increase,
multiplicative decrease), so a throttled client settles just under the server's real limit.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

MAX_CONNECTIONS = 20  # TMDb's CDN: about 20 simultaneous connections per IP
DEFAULT_RATE = 45.0  # requests/s; TMDb's ceiling is about 50


@dataclass
class LimiterStats:
    throttled: int = 0
    decreases: int = 0
    paused_seconds: float = 0.0
    min_rate: float = 0.0


class AdaptiveLimiter:
    def __init__(self, max_rate: float = DEFAULT_RATE, concurrency: int = 8, min_rate: float = 1.0,
                 recovery: float = 2.0, decrease: float = 0.5, cooldown: float = 1.0):
        if max_rate <= 0 or concurrency < 1:
            raise ValueError("rate and concurrency must be positive")
        self.max_rate = float(max_rate)
        self.rate = float(max_rate)
        self.min_rate = min(min_rate, self.max_rate)
        self.recovery = recovery  # requests/s regained per second of successes
        self.decrease = decrease
        self.cooldown = cooldown
        self.concurrency = concurrency
        self._sem = asyncio.Semaphore(concurrency)
        self._next_start = 0.0
        self._paused_until = 0.0
        self._last_decrease = -1e9
        self.stats = LimiterStats(min_rate=self.rate)

    async def __aenter__(self) -> "AdaptiveLimiter":
        await self.acquire()
        return self

    async def __aexit__(self, *exc) -> None:
        self.release()

    async def acquire(self) -> None:
        await self._sem.acquire()
        try:
            while True:
                # Reserve the next start slot (no await between read and write: atomic on the loop),
                # sleep until it, and reserve again if a 429 paused everyone meanwhile.
                now = time.monotonic()
                start = max(now, self._next_start, self._paused_until)
                self._next_start = start + 1.0 / self.rate
                if start > now:
                    await asyncio.sleep(start - now)
                if time.monotonic() >= self._paused_until:
                    return
        except BaseException:
            self._sem.release()
            raise

    def release(self) -> None:
        self._sem.release()

    def on_success(self) -> None:
        if self.rate < self.max_rate:
            self.rate = min(self.max_rate, self.rate + self.recovery / self.rate)

    def on_throttle(self, retry_after: float | None) -> None:
        """A ``429``: pause everyone for ``retry_after`` seconds and slow down."""
        now = time.monotonic()
        self.stats.throttled += 1
        wait = retry_after if retry_after is not None and retry_after >= 0 else 1.0
        until = now + wait
        if until > self._paused_until:
            self.stats.paused_seconds += until - max(now, self._paused_until)
            self._paused_until = until
        if now - self._last_decrease >= self.cooldown:
            self._last_decrease = now
            self.rate = max(self.min_rate, self.rate * self.decrease)
            self.stats.decreases += 1
            self.stats.min_rate = min(self.stats.min_rate, self.rate)
