"""The shared model contract (core.models), run against every trained model class.

fit returns self; unfitted use raises the one NotFittedError; save → load gives identical
predictions; unknown users/films are flagged; parameters round-trip; a tampered or non-finite
model is refused. A model class without a case here fails ``test_every_model_class_has_a_case``.
"""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from sklearn.base import clone

from core.models import MODEL_FILE, ModelIntegrityError, NonFiniteModel, NotFittedError, model_classes
from tests.contracts.cases import CASES, MODEL_MODULES

IDS = [case.name for case in CASES]


@pytest.fixture(params=CASES, ids=IDS)
def case(request):
    return request.param


_FITTED: dict[str, object] = {}  # one fitted model per case for the whole run (the casting fit took ~30 s at load)


@pytest.fixture
def fitted(case, request):
    """The case's model fitted once and shared by the tests that only save, load or predict with
    it; a test that changes the model works on its own deep copy."""
    if case.name not in _FITTED:
        model = case.make()
        case.fit(model, request)
        _FITTED[case.name] = model
    return _FITTED[case.name]


def test_every_model_class_has_a_case():
    covered = {case.model_class for case in CASES}
    missing = [f"{c.__module__}.{c.__name__}" for c in model_classes(MODEL_MODULES) if c not in covered]
    assert not missing, f"model classes without a contract case in tests/contracts/cases.py: {missing}"


def test_unfitted_use_raises_not_fitted(case, request, tmp_path):
    model = case.make()
    with pytest.raises(NotFittedError):
        case.predict(model, request)
    with pytest.raises(NotFittedError):
        model.save(tmp_path / "model")


def test_fit_returns_self_and_learned_state_ends_in_underscore(case, request):
    model = case.make()
    before = set(vars(model))
    assert case.fit(model, request) is model
    _FITTED.setdefault(case.name, model)  # the other tests reuse this fit
    added = set(vars(model)) - before
    assert added, "fit learned nothing"
    public = [name for name in added if not name.endswith("_") and not name.startswith("_")]
    assert not public, f"learned attributes must end in '_': {public}"
    assert set(model.get_params(deep=False)) <= before


def test_get_params_round_trip(case):
    model = case.make()
    params = model.get_params(deep=False)
    twin = clone(model)
    assert twin.get_params(deep=False) == params
    assert type(model)(**params).get_params(deep=False) == params
    assert model.set_params(**params) is model


def test_save_load_gives_identical_predictions(case, fitted, request, tmp_path):
    folder = fitted.save(tmp_path / "model")
    record = json.loads((folder / MODEL_FILE).read_text())
    assert record["kind"] == case.model_class.kind
    assert record["files"], "model.json must list the files it covers"
    assert {"python", "numpy"} <= set(record["versions"])
    loaded = case.model_class.load(folder)
    assert loaded.get_params(deep=False) == fitted.get_params(deep=False)
    before, after = case.predict(fitted, request), case.predict(loaded, request)
    np.testing.assert_allclose(np.asarray(after.values, dtype=float), np.asarray(before.values, dtype=float),
                               rtol=1e-9, atol=1e-12)
    assert list(after.flags) == list(before.flags)


def test_unknown_inputs_are_flagged(case, fitted, request):
    known = case.predict(fitted, request)
    assert known.ok.all(), f"known inputs flagged: {set(map(str, known.flags))}"
    unknown = case.predict_unknown(fitted, request)
    assert not unknown.ok.all(), "unknown users/films must be flagged, not silently answered"
    assert {f for f in unknown.flags if not f == "ok"} <= case.unknown_flags | {f for f in case.unknown_flags}
    assert set(case.unknown_flags) <= set(unknown.flags)


def test_tampered_file_is_refused(case, fitted, tmp_path):
    folder = fitted.save(tmp_path / "model")
    record = json.loads((folder / MODEL_FILE).read_text())
    victim = folder / sorted(record["files"])[0]
    victim.write_bytes(victim.read_bytes() + b"tampered")
    with pytest.raises(ModelIntegrityError, match="changed after"):
        case.model_class.load(folder)


def test_model_record_of_another_kind_is_refused(case, fitted, tmp_path):
    folder = fitted.save(tmp_path / "model")
    record = json.loads((folder / MODEL_FILE).read_text())
    record["kind"] = "something-else"
    (folder / MODEL_FILE).write_text(json.dumps(record))
    with pytest.raises(ModelIntegrityError):
        case.model_class.load(folder)


def test_non_finite_model_is_never_saved(case, fitted, tmp_path):
    fitted = copy.deepcopy(fitted)  # poisoned below: the shared fit stays clean
    learned = [value for value in fitted._learned_arrays().values()
               if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size]
    holders = [fitted] + [v for v in vars(fitted).values() if hasattr(v, "__dict__")]  # inner models too
    owned = [(holder, name) for holder in holders for name, value in vars(holder).items()
             if isinstance(value, np.ndarray) and any(np.shares_memory(value, x) for x in learned)]
    assert owned, "_learned_arrays() must return the model's own float arrays (not copies)"
    holder, name = owned[0]
    poisoned = np.array(getattr(holder, name), dtype=float)
    poisoned.flat[0] = np.nan
    setattr(holder, name, poisoned)  # the model now holds a NaN where it learned a number
    with pytest.raises(NonFiniteModel):
        fitted.save(tmp_path / "model")
    assert not (tmp_path / "model" / MODEL_FILE).exists()
