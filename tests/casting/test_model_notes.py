"""The model card says which film baseline a lift is measured against (the definition changed)."""
from __future__ import annotations

from types import SimpleNamespace

from core.casting.plots import model_notes

LIFT = {"difference": 0.02, "low": 0.001, "high": 0.04}


def _notes(baselines):
    return " ".join(model_notes(SimpleNamespace(metrics={"baselines": baselines})))


def test_new_models_name_both_film_baselines_and_both_lifts():
    text = _notes({"seed": {"auroc": 0.73}, "film_only": {"auroc": 0.75}, "film_director": {"auroc": 0.77},
                   "casting_lift": LIFT, "actor_lift": {"difference": 0.003, "low": -0.001, "high": 0.006}})
    assert "film-only model (the film's own brief-time attributes, nothing derived from a person) 0.750" in text
    assert "Casting lift (full minus film-only" in text and "+0.020" in text
    assert "Film + director model" in text and "0.770" in text and "actor lift" in text and "+0.003" in text


def test_models_trained_before_the_change_call_their_baseline_film_plus_director():
    text = _notes({"seed": {"auroc": 0.73}, "film_only": {"auroc": 0.776}, "casting_lift": LIFT})
    assert "film + director model" in text and "0.776" in text and "Actor lift (full minus it) +0.020" in text
    assert "nothing derived from a person" not in text and "Casting lift" not in text
