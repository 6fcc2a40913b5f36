"""Experiment tracking in MLflow, on when ``MARQUEE_MLFLOW_URI`` is set (off, nothing changes).

Every training run that saves a version in the artifact store (casting, personal, personal-shared,
CF, … — :meth:`core.artifacts.ArtifactStore.save` calls :func:`log_version`) and every search
index build and evaluation (:func:`log_run` from ``core.search``) becomes one MLflow run in the
experiment ``marquee-<kind>``: parameters (flattened, ``a.b.c``), finite numeric metrics, the
catalog's data checksum, the slot and version, and the artifact folder (uploaded whole up to
``MARQUEE_MLFLOW_MAX_ARTIFACT_MB``, default 50 MB; past that only its JSON files, and the local
path is always a tag). The local registry stays the source of truth: tracking is a copy.

``MARQUEE_MLFLOW_URI`` is a local folder (``/path/mlruns`` or ``file:///…``, MLflow's file store,
allowed here with ``MLFLOW_ALLOW_FILE_STORE``) or a tracking server (``http(s)://…``); only the
light ``mlflow-skinny`` client is needed (``sqlite://`` stores need the full ``mlflow``). A
tracking failure never fails the training that was already saved: it is one warning line and a
traceback in the incident log (``core.logs``), with any password in the URI masked.
"""
from __future__ import annotations

import logging
import math
import os
import re
import time
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit, urlunsplit

from core import logs

log = logging.getLogger(__name__)
VARIABLE = "MARQUEE_MLFLOW_URI"
MAX_ARTIFACT_MB = 50.0
_KEY_CHARS = re.compile(r"[^A-Za-z0-9_\-. /]")
MAX_PARAM_CHARS = 500
MAX_PARAMS = 300
MAX_METRICS = 1000


def tracking_uri() -> str | None:
    """The configured tracking URI (a local path made a ``file:`` URI), or None when off."""
    raw = os.environ.get(VARIABLE, "").strip()
    if not raw:
        return None
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", raw) or raw.startswith("file:"):
        return raw
    return Path(raw).expanduser().resolve().as_uri()


def enabled() -> bool:
    return tracking_uri() is not None


def shown_uri(uri: str) -> str:
    """``uri`` with any user:password masked (for messages)."""
    parts = urlsplit(uri)
    if parts.password or parts.username:
        host = parts.hostname or ""
        netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return uri


def flatten(values: Mapping[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``; lists of scalars stay values, lists of dicts are indexed."""
    out: dict[str, Any] = {}
    for key, value in (values or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Mapping) for v in value):
            for i, item in enumerate(value[:20]):
                out.update(flatten(item, f"{name}.{i}."))
        else:
            out[name] = value
    return out


def _key(name: str) -> str:
    return _KEY_CHARS.sub("_", name)[:250]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def split_params_metrics(params: Mapping[str, Any] | None, metrics: Mapping[str, Any] | None
                         ) -> tuple[dict[str, str], dict[str, float]]:
    """MLflow params (strings, shortened) and metrics (finite numbers) from nested dicts."""
    flat_params = {_key(k): ("" if v is None else str(v))[:MAX_PARAM_CHARS] for k, v in flatten(params).items()}
    flat_metrics = {}
    for k, v in flatten(metrics).items():
        number = _number(v)
        if number is not None:
            flat_metrics[_key(k)] = number
    return dict(list(flat_params.items())[:MAX_PARAMS]), dict(list(flat_metrics.items())[:MAX_METRICS])


def log_run(kind: str, catalog: str, *, profile: str | None = None, version: str | None = None,
            params: Mapping[str, Any] | None = None, metrics: Mapping[str, Any] | None = None,
            data_checksum: str | None = None, artifact_dir: str | os.PathLike | None = None,
            tags: Mapping[str, str] | None = None) -> str | None:
    """Log one finished run to MLflow; returns its run id, or None when tracking is off or failed."""
    uri = tracking_uri()
    if uri is None:
        return None
    try:
        return _log(uri, kind, catalog, profile, version, params, metrics, data_checksum, artifact_dir, tags)
    except Exception as exc:  # the model is saved already: tracking must not turn success into failure
        incident = logs.log_exception(exc, "MLflow tracking", secrets=(uri, urlsplit(uri).password))
        log.warning("MLflow tracking of %s/%s failed at %s (incident %s): %s", kind, catalog, shown_uri(uri), incident,
                    logs.user_message(exc, secrets=(uri,)))
        return None


def log_version(version, *, metrics: Mapping[str, Any] | None = None, params: Mapping[str, Any] | None = None
                ) -> str | None:
    """Log a version just saved in the artifact store (``core.artifacts.Version``): its manifest's
    parameters and metrics, numeric extra fields as metrics, data checksum and folder."""
    if not enabled():
        return None
    manifest = version.manifest
    extra = {k: v for k, v in manifest.items()
             if k not in ("parameters", "metrics", "kind", "slot", "version", "catalog", "profile", "data_checksum",
                          "created_at", "versions", "note", "files")}
    numeric = {k: v for k, v in flatten(extra).items() if _number(v) is not None}
    return log_run(version.slot.kind, version.slot.catalog, profile=version.slot.profile, version=version.name,
                   params={**(manifest.get("parameters") or {}), "libraries": manifest.get("versions") or {},
                           **(params or {})},
                   metrics={**(manifest.get("metrics") or {}), **numeric, **(metrics or {})},
                   data_checksum=manifest.get("data_checksum"), artifact_dir=version.path,
                   tags={"marquee.note": str(manifest.get("note") or "")[:500]})


def _experiment(client, name: str) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(name)
    except Exception:  # another process created it first
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def _log(uri, kind, catalog, profile, version, params, metrics, data_checksum, artifact_dir, tags) -> str:
    if uri.startswith("file:"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow's file store, in maintenance mode
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")  # a down server costs seconds, not minutes
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = _experiment(client, f"marquee-{kind}")
    all_tags = {"marquee.kind": kind, "marquee.catalog": catalog, "marquee.profile": profile or "",
                "marquee.version": version or "", "marquee.data_checksum": data_checksum or "",
                "marquee.artifact_dir": str(artifact_dir or ""), **(tags or {})}
    run_name = "/".join(p for p in (catalog, profile, version) if p)
    run = client.create_run(experiment, run_name=run_name, tags={k: str(v)[:5000] for k, v in all_tags.items()})
    run_id = run.info.run_id
    try:
        flat_params, flat_metrics = split_params_metrics({**(params or {}), "data_checksum": data_checksum or ""},
                                                         metrics)
        now = int(time.time() * 1000)
        param_rows = [Param(k, v) for k, v in flat_params.items()]
        metric_rows = [Metric(k, v, now, 0) for k, v in flat_metrics.items()]
        for start in range(0, max(len(param_rows), 1), 100):
            client.log_batch(run_id, params=param_rows[start:start + 100])
        for start in range(0, len(metric_rows), 1000):
            client.log_batch(run_id, metrics=metric_rows[start:start + 1000])
        if artifact_dir is not None and Path(artifact_dir).is_dir():
            _log_folder(client, run_id, Path(artifact_dir), kind)
        client.set_terminated(run_id, "FINISHED")
    except BaseException:
        try:
            client.set_terminated(run_id, "FAILED")
        finally:
            raise
    return run_id


def _log_folder(client, run_id: str, folder: Path, kind: str) -> None:
    limit = float(os.environ.get("MARQUEE_MLFLOW_MAX_ARTIFACT_MB", MAX_ARTIFACT_MB)) * 1024 * 1024
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    size = sum(p.stat().st_size for p in files)
    if size <= limit:
        client.log_artifacts(run_id, str(folder), artifact_path=kind)
        return
    from mlflow.entities import RunTag

    client.log_batch(run_id, tags=[RunTag("marquee.artifacts", f"only JSON files uploaded: the folder holds "
                                                               f"{size / 1e6:.1f} MB (limit {limit / 1e6:.0f} MB)")])
    for path in files:
        if path.suffix == ".json":
            relative = path.parent.relative_to(folder).as_posix()
            client.log_artifact(run_id, str(path), artifact_path=kind if relative == "." else f"{kind}/{relative}")
