"""The versioned artifact store: versions, champion pointer, decisions, confinement, staleness."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.artifacts import ArtifactNotFound, ArtifactStore, Slot, StaleArtifact
from core.cf.fallback import PopularityFallback
from core.errors import MarqueeError
from core.models import ModelIntegrityError, NonFiniteModel

RATINGS = pd.DataFrame({"user_id": [1, 2, 3, 1, 2], "movie_id": [10, 10, 11, 11, 12], "rating": [4.0, 5, 3, 2, 4]})


@pytest.fixture
def store(tmp_path):
    return ArtifactStore(tmp_path / "artifacts")


def fitted():
    return PopularityFallback(min_votes=1).fit(RATINGS)


def test_versions_champion_and_decisions(store):
    slot = Slot("cf-popularity", "demo")
    first = store.save(slot, fitted(), data_checksum="abc", metrics={"rmse": 1.0}, note="first")
    second = store.save(slot, fitted(), data_checksum="abc", metrics={"rmse": 0.9})
    assert (first.name, second.name) == ("v0001", "v0002")
    assert store.champion(slot) is None and store.current(slot).name == "v0002"
    store.promote(slot, "v0001")
    store.promote(slot, "v0002")
    statuses = {v.name: v.info["status"] for v in store.versions(slot)}
    assert statuses == {"v0001": "retired", "v0002": "champion"}
    store.log_decision(slot, {"champion": "v0001", "challenger": "v0002", "promoted": True, "reasons": ["better"]})
    assert store.decisions(slot)[0]["reasons"] == ["better"]
    model, version = store.load(PopularityFallback, slot, data_checksum="abc")
    assert version.name == "v0002" and version.manifest["metrics"] == {"rmse": 0.9}
    np.testing.assert_allclose(model.predict([10, 11]), fitted().predict([10, 11]))
    assert [row["champion"] for row in store.summary()] == ["v0002"]
    assert list(store.slots("cf-popularity")) == [slot]


def test_profile_slots_and_names_are_validated(store):
    slot = Slot("personal", "demo", "alice")
    store.save(slot, lambda folder: (folder / "x.txt").write_text("x"), data_checksum=None)
    assert (store.root / "personal" / "demo" / "alice" / "v0001" / "x.txt").exists()
    for bad in ("../x", "a/b", "name\n", "", ".hidden", "x" * 65):
        with pytest.raises(MarqueeError, match="catalog"):
            Slot("cf", bad)


def test_loading_from_another_catalog_version_is_refused(store):
    slot = Slot("cf-popularity", "demo")
    store.save(slot, fitted(), data_checksum="old")
    with pytest.raises(StaleArtifact, match="another version of the catalog"):
        store.load(PopularityFallback, slot, data_checksum="new")
    with pytest.raises(ArtifactNotFound):
        store.load(PopularityFallback, Slot("cf-popularity", "other"))


def test_champion_pointer_cannot_leave_the_slot(store, tmp_path):
    slot = Slot("cf-popularity", "demo")
    store.save(slot, fitted(), data_checksum=None)
    registry = store.slot_dir(slot) / "registry.json"
    for pointer in ("../../../outside", "/etc", "v0009"):
        state = json.loads(registry.read_text())
        state["champion"] = pointer
        registry.write_text(json.dumps(state))
        with pytest.raises(MarqueeError, match="champion pointer"):
            store.load(PopularityFallback, slot)


def test_truncated_registry_is_one_clear_error(store):
    slot = Slot("cf-popularity", "demo")
    store.save(slot, fitted(), data_checksum=None)
    registry = store.slot_dir(slot) / "registry.json"
    registry.write_text(registry.read_text()[:20])
    with pytest.raises(MarqueeError, match="unreadable"):
        store.current(slot)


def test_tampered_version_file_is_refused(store):
    slot = Slot("cf-popularity", "demo")
    version = store.save(slot, fitted(), data_checksum=None)
    (version.path / "popularity.npz").write_bytes(b"not an npz")
    with pytest.raises(ModelIntegrityError, match="changed after"):
        store.load(PopularityFallback, slot)


def test_non_finite_metrics_are_never_registered_or_promoted(store):
    slot = Slot("cf-popularity", "demo")
    with pytest.raises(NonFiniteModel, match="rmse"):
        store.save(slot, fitted(), data_checksum=None, metrics={"rmse": float("nan")})
    assert store.versions(slot) == []
    store.save(slot, fitted(), data_checksum=None, metrics={"rmse": 1.0})
    registry = store.slot_dir(slot) / "registry.json"
    state = json.loads(registry.read_text())
    state["versions"]["v0001"]["metrics"]["rmse"] = float("inf")
    registry.write_text(json.dumps(state))
    with pytest.raises(NonFiniteModel, match="not promoted"):
        store.promote(slot, "v0001")


def test_failed_write_leaves_no_version(store):
    slot = Slot("cf-popularity", "demo")

    def broken(folder):
        (folder / "half.txt").write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        store.save(slot, broken, data_checksum=None)
    assert store.versions(slot) == []
    assert not [p for p in store.slot_dir(slot).iterdir() if p.name.startswith("v")]
