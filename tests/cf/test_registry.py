"""The model registry: versions with manifests, champion, decisions; arrays only, no pickle."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.cf.recommender import CFRecommender
from core.cf.registry import ModelRegistry
from core.errors import MarqueeError


def test_register_promote_log_and_load(tmp_path, tiny_ratings):
    registry = ModelRegistry(tmp_path / "registry")
    assert registry.champion() is None and registry.decisions() == []
    with pytest.raises(MarqueeError, match="no champion"):
        registry.load()
    baseline = {"global": {"rmse": 1.0, "mae": 0.8, "r2": 0.1, "count": 17}, "segments": {}}
    model = CFRecommender(n_factors=3, n_epochs=5, min_ratings=2).fit(tiny_ratings)
    first = registry.register(model, baseline=baseline, data_checksum="abc", trained_on={"catalog_ratings": 17})
    second = registry.register(model, baseline=baseline, data_checksum="abc", trained_on={"catalog_ratings": 17})
    assert (first, second) == ("v0001", "v0002")
    registry.promote(first)
    registry.promote(second)
    assert registry.champion() == second
    assert registry.versions()[first]["status"] == "retired"
    registry.log_decision({"round": 1, "challenger": second, "promoted": True, "reasons": ["because"]})
    assert registry.decisions()[0]["reasons"] == ["because"] and "time" in registry.decisions()[0]
    manifest = registry.manifest(second)
    assert manifest["kind"] == "cf-model" and manifest["data_checksum"] == "abc"
    assert manifest["baseline"] == baseline and manifest["parameters"]["n_factors"] == 3
    files = sorted(p.name for p in registry.model_dir(second).iterdir())
    assert files == ["factors.npz", "manifest.json", "params.json", "state.npz"]
    with np.load(registry.model_dir(second) / "factors.npz", allow_pickle=False) as arrays:
        assert arrays["qi"].shape == (5, 3)
    loaded = registry.load()
    np.testing.assert_array_equal(loaded.predict([1, 2], [10, 11]), model.predict([1, 2], [10, 11]))
    state = json.loads((tmp_path / "registry" / "registry.json").read_text())
    assert state["champion"] == second
    frame = registry.versions_frame()
    assert frame["champion"].tolist() == [False, True]
    with pytest.raises(MarqueeError, match="unknown model version"):
        registry.promote("v0099")
