"""The catalog's deployed recommender in the artifact store: versions, champion, decisions,
refusals (stale catalog, tampered arrays, pointers outside the slot, NaN models)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.artifacts import ArtifactStore, StaleArtifact
from core.cf import CFRecommender, cf_slot, load_champion, train_champion
from core.errors import MarqueeError
from core.models import ModelIntegrityError

FAST = {"n_factors": 8, "n_epochs": 8, "n_bags": 1}


@pytest.fixture
def store(tmp_path):
    return ArtifactStore(tmp_path / "artifacts")


@pytest.fixture(scope="module")
def trained(cf_catalog, tmp_path_factory):
    store = ArtifactStore(tmp_path_factory.mktemp("champion") / "artifacts")
    first = train_champion(cf_catalog, FAST, store=store)
    second = train_champion(cf_catalog, {**FAST, "random_state": 1}, promote=False, store=store)
    return store, first, second


def test_train_registers_promotes_and_logs(trained, cf_catalog):
    store, first, second = trained
    slot = cf_slot(cf_catalog.name)
    assert (first["version"], second["version"]) == ("v0001", "v0002")
    assert first["champion"] == "v0001" and second["champion"] == "v0001"
    statuses = {v.name: v.info["status"] for v in store.versions(slot)}
    assert statuses == {"v0001": "champion", "v0002": "candidate"}
    decisions = store.decisions(slot)
    assert [d["promoted"] for d in decisions] == [True, False]
    assert "holdout R²" in decisions[0]["reasons"][0] and "--no-promote" in decisions[1]["reasons"][0]
    assert "lists NDCG@10" in decisions[0]["reasons"][0]  # the Monitoring page's decision log shows list quality
    version = store.champion(slot)
    manifest = version.manifest
    assert manifest["kind"] == "cf" and manifest["data_checksum"] == cf_catalog.data_checksum
    assert manifest["baseline"]["segments"] and manifest["parameters"]["n_factors"] == 8
    assert set(version.info["metrics"]) == {"holdout_rmse", "holdout_mae", "holdout_r2", "holdout_count",
                                            "holdout_ndcg@10", "holdout_most_rated_ndcg@10"}
    ranking = manifest["baseline"]["ranking"]
    assert ranking["users"] > 0 and 0 <= ranking["ndcg@10"] <= 1 and ranking["list_by"] == "score"
    files = sorted(p.name for p in version.path.iterdir())
    assert files == ["factors.npz", "manifest.json", "model.json", "state.npz"]
    with np.load(version.path / "factors.npz", allow_pickle=False) as arrays:
        assert arrays["qi"].shape[1] == 8


def test_load_champion_serves_the_promoted_version(trained, cf_catalog):
    store, _, _ = trained
    model, version = load_champion(cf_catalog, store=store)
    assert version.name == "v0001" and isinstance(model, CFRecommender)
    again, _ = load_champion(cf_catalog, "v0002", store=store)
    assert again.random_state == 1


def test_a_rebuilt_catalog_refuses_the_old_model(trained, cf_catalog):
    """After a catalog rebuild, `cf recommend` must not serve `nan (nan)` from a stale model."""
    store, _, _ = trained
    changed = type(cf_catalog)(**{**cf_catalog.__dict__, "manifest": {**cf_catalog.manifest, "data_checksum": "new"}})
    with pytest.raises(StaleArtifact, match="built from another version of the catalog.*cf train"):
        load_champion(changed, store=store)


def test_tampered_factors_are_refused(cf_catalog, store):
    train_champion(cf_catalog, FAST, store=store)
    version = store.champion(cf_slot(cf_catalog.name))
    arrays = dict(np.load(version.path / "factors.npz", allow_pickle=False))
    arrays["qi"] = arrays["qi"] * 2
    np.savez_compressed(version.path / "factors.npz", **arrays)
    with pytest.raises(ModelIntegrityError, match="factors.npz was changed"):
        load_champion(cf_catalog, store=store)


def test_a_champion_pointer_outside_the_slot_is_refused(cf_catalog, store):
    train_champion(cf_catalog, FAST, store=store)
    registry = store.slot_dir(cf_slot(cf_catalog.name)) / "registry.json"
    state = json.loads(registry.read_text())
    state["champion"] = "../../../etc"
    registry.write_text(json.dumps(state))
    with pytest.raises(MarqueeError, match="champion pointer"):
        load_champion(cf_catalog, store=store)


@pytest.mark.parametrize("params, field", [({"lr_all": float("nan")}, "lr_all"), ({"lr_all": float("inf")}, "lr_all"),
                                           ({"reg_all": -1.0}, "reg_all"), ({"n_factors": 0}, "n_factors")])
def test_bad_parameters_never_produce_or_promote_a_model(cf_catalog, store, params, field):
    with pytest.raises(MarqueeError, match=field):
        train_champion(cf_catalog, {**FAST, **params}, store=store)
    assert store.champion(cf_slot(cf_catalog.name)) is None
    assert not store.slot_dir(cf_slot(cf_catalog.name)).exists() or not store.versions(cf_slot(cf_catalog.name))


def test_a_catalog_without_ratings_says_what_to_do(cf_catalog, store):
    empty = type(cf_catalog)(**{**cf_catalog.__dict__, "ratings": cf_catalog.ratings.head(0)})
    with pytest.raises(MarqueeError, match="import MovieLens ratings"):
        train_champion(empty, FAST, store=store)
