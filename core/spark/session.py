"""One Spark session per process, configured for Marquee.

``get_session()`` starts (or reuses) a session on ``MARQUEE_SPARK_MASTER`` (default ``local[*]``)
or connects to a Spark Connect server (``sc://host:port``). Spark is an optional extra
(``pip install -e '.[spark]'``, plus a Java 17+ runtime for local and cluster
masters); without it every entry point raises one clear :class:`SparkUnavailable` line.

Small-machine defaults (all overridable through ``conf`` or ``spark-defaults.conf``): few
shuffle partitions, no web UI, no console progress bar, Arrow transfers, the driver's own Python
for the workers.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import warnings
from typing import Any, Mapping

from core.engine import is_connect_url, spark_master
from core.errors import MarqueeError

_LOCK = threading.Lock()
_SESSION: dict[str, Any] = {}

# Local-mode defaults. Shuffle partitions: Spark's 200 are made for clusters; on one machine each
# is a task with fixed overhead.
LOCAL_DEFAULTS: dict[str, str] = {
    "spark.sql.shuffle.partitions": os.environ.get("MARQUEE_SPARK_SHUFFLE_PARTITIONS", "8"),
    "spark.default.parallelism": os.environ.get("MARQUEE_SPARK_SHUFFLE_PARTITIONS", "8"),
    "spark.driver.memory": os.environ.get("MARQUEE_SPARK_DRIVER_MEMORY", "2g"),
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
}
COMMON_DEFAULTS: dict[str, str] = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "2000",
}


class SparkUnavailable(MarqueeError):
    """pyspark or a Java runtime is missing, or the session could not start."""


def spark_missing_reason(master: str | None = None) -> str | None:
    """Why Spark cannot run here (None when it can): no pyspark, or no Java for a JVM master."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[spark]')"
    master = spark_master(master)
    if is_connect_url(master):
        try:
            import grpc  # noqa: F401
        except ImportError:
            return "Spark Connect needs the pyspark[connect] extra (pip install 'pyspark[connect]')"
        return None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "Spark needs a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)"
    return None


def _quiet_pyspark_warnings() -> None:
    # pyspark 4.x warns on every pandas conversion that pandas 3 is not yet fully supported; the
    # conversions Marquee uses (numbers, strings, arrays through Arrow) are covered by its tests.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)


def get_session(master: str | None = None, conf: Mapping[str, str] | None = None, app_name: str = "marquee"):
    """The process's Spark session for ``master`` (started on first use, then reused).

    Without ``master`` a running session is reused whatever its master; otherwise
    ``MARQUEE_SPARK_MASTER`` (default ``local[*]``) is started. Asking explicitly for another
    master while a session runs stops the old one first: Spark allows one JVM session per process.
    """
    if master is None:  # no explicit choice: a running session (a test's, a benchmark's) serves
        with _LOCK:
            current = _SESSION.get("session")
            if current is not None and _is_alive(current):
                return current
    master = spark_master(master)
    reason = spark_missing_reason(master)
    if reason:
        raise SparkUnavailable(reason)
    _quiet_pyspark_warnings()
    with _LOCK:
        current = _SESSION.get("session")
        if current is not None and _SESSION.get("master") == master and _is_alive(current):
            return current
        if current is not None:
            _stop(current)
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.appName(app_name)
        if is_connect_url(master):
            builder = builder.remote(master)
            settings = dict(COMMON_DEFAULTS)
        else:
            # Workers run the driver's own interpreter, so they see the same packages (numpy, torch…).
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
            builder = builder.master(master)
            settings = {**COMMON_DEFAULTS, **(LOCAL_DEFAULTS if master.startswith("local") else {})}
        for key, value in {**settings, **(conf or {})}.items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # py4j / JVM start-up failures come in many types
            raise SparkUnavailable(f"could not start Spark on {master}: {type(exc).__name__}: "
                                   f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
        _SESSION.update(session=session, master=master)
        if not is_connect_url(master):
            session.sparkContext.setLogLevel(os.environ.get("MARQUEE_SPARK_LOG_LEVEL", "ERROR"))
            _set_checkpoint_dir(session, master)
        return session


def _set_checkpoint_dir(session, master: str) -> None:
    """Iterative jobs (ALS) cut their lineage at checkpoints; without a checkpoint folder Spark
    skips them and a long lineage overflows the JVM stack (measured: ALS with 25 iterations on
    ML-100K in local mode). ``MARQUEE_SPARK_CHECKPOINT_DIR`` names one (on a cluster it must be
    shared storage, e.g. ``hdfs://…``); local masters get a temporary folder removed on stop."""
    configured = os.environ.get("MARQUEE_SPARK_CHECKPOINT_DIR")
    if configured:
        session.sparkContext.setCheckpointDir(configured)
    elif master.startswith("local"):
        folder = tempfile.mkdtemp(prefix="marquee-spark-checkpoints-")
        session.sparkContext.setCheckpointDir(folder)
        _SESSION["checkpoints"] = folder


def _is_alive(session) -> bool:
    try:
        jsc = getattr(session.sparkContext, "_jsc", None)
        return jsc is not None and not jsc.sc().isStopped()
    except Exception:  # Spark Connect sessions have no sparkContext; a dead one fails its first query
        return True


def _stop(session) -> None:
    try:
        session.stop()
    except Exception:  # stopping a session whose JVM already died is not an error worth raising
        pass
    if _SESSION.get("checkpoints"):
        shutil.rmtree(_SESSION["checkpoints"], ignore_errors=True)
    _SESSION.clear()


def stop_session() -> None:
    """Stop the process's session (tests and benchmarks call this at the end)."""
    with _LOCK:
        current = _SESSION.get("session")
        if current is not None:
            _stop(current)
