"""Model registry: versions, their metrics and manifests, which one is champion, and every
promotion decision with its reasons.

Layout of a registry folder (``artifacts/cf/registry/<catalog>/`` or a simulation's
``registry/``)::

    registry.json            {"champion": "v0002", "versions": {"v0001": {...}, ...}}
    decisions.json           [{"time", "round", "champion", "challenger", "promoted", "reasons", ...}]
    models/v0001/            factors.npz  state.npz  params.json  manifest.json

Model folders are written to a staging folder and renamed into place; the JSON files are
replaced atomically, so a crash never leaves a half-registered model.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from core.cf.recommender import CFRecommender
from core.errors import MarqueeError
from core.io import build_manifest, read_json, staged_dir, utc_now, write_json_atomic

REGISTRY = "registry.json"
DECISIONS = "decisions.json"


class ModelRegistry:
    def __init__(self, root: Path):
        self.root = Path(root)

    # ------------------------------------------------------------------ state
    def _state(self) -> dict[str, Any]:
        path = self.root / REGISTRY
        return read_json(path) if path.exists() else {"champion": None, "versions": {}}

    def champion(self) -> str | None:
        return self._state()["champion"]

    def versions(self) -> dict[str, dict]:
        return self._state()["versions"]

    def decisions(self) -> list[dict]:
        path = self.root / DECISIONS
        return read_json(path) if path.exists() else []

    def versions_frame(self) -> pd.DataFrame:
        champion = self.champion()
        rows = [{"version": v, "champion": v == champion, **{k: info.get(k) for k in ("status", "created_at", "note")},
                 "rmse": info.get("baseline", {}).get("global", {}).get("rmse"),
                 "r2": info.get("baseline", {}).get("global", {}).get("r2")}
                for v, info in self.versions().items()]
        return pd.DataFrame(rows, columns=["version", "champion", "status", "created_at", "note", "rmse", "r2"])

    def model_dir(self, version: str) -> Path:
        return self.root / "models" / version

    def manifest(self, version: str) -> dict:
        path = self.model_dir(version) / "manifest.json"
        if not path.exists():
            raise MarqueeError(f"{path}: no such model version in the registry")
        return read_json(path)

    def baseline(self, version: str) -> dict:
        return self.manifest(version)["baseline"]

    # ------------------------------------------------------------------ changes
    def register(self, recommender: CFRecommender, *, baseline: dict, data_checksum: str | None,
                 trained_on: dict[str, Any], note: str = "", **fields: Any) -> str:
        """Save a trained model as the next version (status ``candidate``) and return its name;
        extra ``fields`` go into its manifest."""
        state = self._state()
        version = f"v{len(state['versions']) + 1:04d}"
        target = self.model_dir(version)
        with staged_dir(target) as staging:
            recommender.save(staging)
            manifest = build_manifest("cf-model", recommender.get_params(), data_checksum,
                                      extra_versions=("scikit-surprise",), version=version, baseline=baseline,
                                      trained_on=trained_on, fit_seconds=recommender.fit_seconds_, note=note, **fields)
            write_json_atomic(staging / "manifest.json", manifest)
        state["versions"][version] = {"status": "candidate", "created_at": manifest["created_at"], "note": note,
                                      "baseline": {"global": baseline["global"]}}
        self._write(state)
        return version

    def set_status(self, version: str, status: str) -> None:
        state = self._state()
        self._require(state, version)
        state["versions"][version]["status"] = status
        self._write(state)

    def promote(self, version: str) -> None:
        state = self._state()
        self._require(state, version)
        previous = state["champion"]
        if previous and previous != version:
            state["versions"][previous]["status"] = "retired"
        state["versions"][version]["status"] = "champion"
        state["champion"] = version
        self._write(state)

    def log_decision(self, record: dict[str, Any]) -> dict[str, Any]:
        record = {"time": utc_now().isoformat(timespec="seconds"), **record}
        write_json_atomic(self.root / DECISIONS, self.decisions() + [record])
        return record

    def load(self, version: str | None = None) -> CFRecommender:
        version = version or self.champion()
        if version is None:
            raise MarqueeError(f"the registry at {self.root} has no champion yet: run `python -m core cf train`")
        return CFRecommender.load(self.model_dir(version))

    def _require(self, state: dict, version: str) -> None:
        if version not in state["versions"]:
            raise MarqueeError(f"registry {self.root}: unknown model version {version!r}")

    def _write(self, state: dict) -> None:
        write_json_atomic(self.root / REGISTRY, state)
