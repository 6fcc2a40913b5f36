"""Which engine runs the heavy workloads: the single-machine pandas path (default) or Apache Spark.

The setting is read from ``--engine`` on the commands that have it, else ``MARQUEE_ENGINE``
(``local`` or ``spark``), so the app and the command line read the same value. Spark's master
comes from ``MARQUEE_SPARK_MASTER``: ``local``, ``local[N]``, ``local[*]`` (the default), a
cluster master URL (``spark://host:port``, ``yarn``, ``k8s://…``) or a Spark Connect URL
(``sc://host:port``). Nothing here imports Spark: this module only names and validates choices.
"""
from __future__ import annotations

import os
import re

from core.errors import MarqueeError

LOCAL = "local"
SPARK = "spark"
ENGINES = (LOCAL, SPARK)
DEFAULT_MASTER = "local[*]"

_MASTER = re.compile(
    r"^(local(\[(\*|[1-9][0-9]{0,3})(,[1-9][0-9]{0,2})?\])?"          # local, local[4], local[*], local[4,2]
    r"|yarn"
    r"|(spark|mesos|k8s)://[A-Za-z0-9._:/\[\]-]{1,250}"             # cluster managers
    r"|sc://[A-Za-z0-9._\[\]-]{1,200}(:[0-9]{1,5})?(/;[A-Za-z0-9_=;.-]{0,200})?)$")  # Spark Connect


def engine_setting(value: str | None = None) -> str:
    """The chosen engine: ``value`` if given, else ``MARQUEE_ENGINE``, else ``local``."""
    chosen = value if value is not None else os.environ.get("MARQUEE_ENGINE", LOCAL)
    chosen = (chosen or LOCAL).strip().lower()
    if chosen not in ENGINES:
        raise MarqueeError(f"engine {chosen!r} is not known: choose one of {', '.join(ENGINES)}")
    return chosen


def spark_master(value: str | None = None) -> str:
    """The Spark master URL: ``value``, else ``MARQUEE_SPARK_MASTER``, else ``local[*]``."""
    master = value if value is not None else os.environ.get("MARQUEE_SPARK_MASTER", DEFAULT_MASTER)
    master = (master or DEFAULT_MASTER).strip()
    if not _MASTER.match(master):
        shown = master if master.isprintable() and len(master) <= 80 else repr(master[:80])
        raise MarqueeError(f"MARQUEE_SPARK_MASTER {shown!r} is not a Spark master: use local[*], local[N], "
                           "spark://host:port, yarn, k8s://… or a Spark Connect URL sc://host:port")
    return master


def is_connect_url(master: str) -> bool:
    """Spark Connect (``sc://``) sessions are remote clients: no local JVM is started."""
    return master.startswith("sc://")


def add_engine_arg(parser) -> None:
    """``--engine local|spark`` on a command (default: ``MARQUEE_ENGINE``, else local)."""
    parser.add_argument("--engine", choices=ENGINES, default=None,
                        help="local (the default; or set MARQUEE_ENGINE) or spark (master from MARQUEE_SPARK_MASTER, "
                             "default local[*]; needs the 'spark' extra and Java)")
