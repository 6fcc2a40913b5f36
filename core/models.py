"""The one contract every trained thing in Marquee follows.

scikit-learn's estimator rules, plus persistence and honest predictions:

* hyper-parameters are stored unchanged by ``__init__`` (``get_params``/``set_params`` come from
  :class:`sklearn.base.BaseEstimator`); ``fit(...)`` returns ``self``; learned state ends in ``_``;
* using a model before ``fit`` raises :class:`NotFittedError` (one type for every model);
* ``save(folder)`` writes the model's own files plus ``model.json`` (kind, class, parameters,
  data checksum, metrics, library versions and the sha256 of every file written), and
  ``Model.load(folder)`` (a classmethod) refuses a folder whose files no longer match those
  checksums, that holds another kind of model, or whose learned numbers are not finite;
* predictions that could not be made properly (an unknown user or film, a cold start, a model
  trained on too few labels) carry a flag from :class:`Flag` instead of a silent fallback.

A model may re-create its learned state on load (casting re-fits deterministically from the
catalog); it does so behind ``load`` and still writes ``model.json``.
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Iterable, Mapping

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError as _SklearnNotFitted

from core.errors import MarqueeError
from core.io import build_manifest, read_json, sha256_file, write_json_atomic

MODEL_FILE = "model.json"
CONTRACT_VERSION = 1


class NotFittedError(MarqueeError, _SklearnNotFitted):
    """A model was used before ``fit`` (or ``load``). Also a scikit-learn ``NotFittedError``."""


class ModelIntegrityError(MarqueeError):
    """A saved model folder is incomplete, tampered with, of another kind, or not finite."""


class NonFiniteModel(MarqueeError):
    """Training produced NaN or infinite parameters or metrics; such a model is never saved."""


class Flag(str, enum.Enum):
    """Why a prediction could not be made properly. ``OK`` means it could."""

    OK = "ok"
    UNKNOWN_USER = "unknown_user"          # the user was not in the training data
    UNKNOWN_ITEM = "unknown_item"          # the film was not in the training data
    COLD_START = "cold_start"              # too little history: a fallback answered
    FOLD_IN = "fold_in"                    # placed in the trained space from ratings after training
    MISSING_FEATURES = "missing_features"  # inputs the model needs were absent
    UNRELIABLE_MODEL = "unreliable_model"  # the model itself is too weak to trust (few labels, AUC ≤ 0.5)

    def __str__(self) -> str:  # so f-strings and JSON show "unknown_user", not "Flag.UNKNOWN_USER"
        return self.value


@dataclass(frozen=True)
class Predictions:
    """Values with one flag per value; ``ok`` is the mask of properly made predictions."""

    values: np.ndarray
    flags: np.ndarray  # object array of Flag

    def __post_init__(self) -> None:
        if len(self.values) != len(self.flags):
            raise ValueError(f"{len(self.values)} predictions but {len(self.flags)} flags")
        flags = np.empty(len(self.flags), dtype=object)
        flags[:] = [Flag(flag) for flag in self.flags]  # plain strings from np.where become Flags
        object.__setattr__(self, "flags", flags)

    @property
    def ok(self) -> np.ndarray:
        return np.array([flag is Flag.OK for flag in self.flags], dtype=bool)

    @classmethod
    def all_ok(cls, values) -> "Predictions":
        values = np.asarray(values)
        return cls(values, flags_array(len(values)))


def flags_array(n: int, flag: Flag = Flag.OK) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out[:] = flag
    return out


def check_finite_params(params: Mapping[str, Any], where: str) -> None:
    """Every numeric hyper-parameter must be finite (NaN/inf fail, naming the parameter)."""
    for name, value in params.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (int, float, np.integer, np.floating)) and not math.isfinite(float(value)):
            raise NonFiniteModel(f"{where}: parameter {name} must be a finite number, got {value!r}")


def check_finite_arrays(arrays: Mapping[str, Any], where: str) -> None:
    """Learned numbers must be finite: a NaN model is never saved, loaded or promoted."""
    for name, value in arrays.items():
        array = np.asarray(value)
        if array.dtype.kind in "fc" and array.size and not np.isfinite(array).all():
            bad = int((~np.isfinite(array)).sum())
            raise NonFiniteModel(f"{where}: learned {name} has {bad} non-finite value(s); the model is not usable")


def check_finite_metrics(metrics: Mapping[str, Any], where: str) -> None:
    """Top-level numeric metrics must be finite (nested tables are reports, not gates)."""
    for name, value in metrics.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (int, float, np.integer, np.floating)) and not math.isfinite(float(value)):
            raise NonFiniteModel(f"{where}: metric {name} is {value!r}, not a finite number")


class Model(BaseEstimator):
    """Base class of every trained model. Subclasses set ``kind`` and implement:

    * ``fit(...) -> self`` (learned attributes end in ``_``);
    * ``_is_fitted()`` — whether learned state is present (default: ``fitted_attribute`` set);
    * ``_save_state(folder) -> list[str]`` — write learned state, return the file names written;
    * ``_load_state(folder, record)`` — restore it (``record`` is the parsed ``model.json``);
    * ``_learned_arrays()`` — the learned numbers checked for finiteness on save and load.

    ``metrics_`` (a dict) and ``data_checksum_`` (the catalog it was trained on), when set,
    go into ``model.json``.
    """

    kind: ClassVar[str] = "model"
    fitted_attribute: ClassVar[str] = "fitted_"

    # ------------------------------------------------------------------ fitted state
    def _is_fitted(self) -> bool:
        return hasattr(self, self.fitted_attribute)

    def check_fitted(self) -> None:
        if not self._is_fitted():
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(...) or load a saved model")

    def __sklearn_is_fitted__(self) -> bool:
        return self._is_fitted()

    # ------------------------------------------------------------------ persistence hooks
    def _save_state(self, folder: Path) -> list[str]:
        raise NotImplementedError(f"{type(self).__name__} does not implement _save_state")

    def _load_state(self, folder: Path, record: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement _load_state")

    def _learned_arrays(self) -> dict[str, Any]:
        return {}

    @classmethod
    def _params_from_record(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Turn JSON parameters back into constructor arguments (tuples, nested objects)."""
        return params

    def _params_for_record(self) -> dict[str, Any]:
        return self.get_params(deep=False)

    # ------------------------------------------------------------------ persistence
    def save(self, folder: Path) -> Path:
        """Write the learned state and ``model.json`` into ``folder`` (created if needed).

        Callers that need all-or-nothing folders write into :func:`core.io.staged_dir` (the
        artifact store does). Refuses a model with non-finite parameters or learned numbers.
        """
        self.check_fitted()
        where = type(self).__name__
        check_finite_params(self._params_for_record(), where)
        check_finite_arrays(self._learned_arrays(), where)
        check_finite_metrics(getattr(self, "metrics_", {}) or {}, where)
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        files = sorted(set(self._save_state(folder)))
        record = build_manifest(
            self.kind, self._params_for_record(), getattr(self, "data_checksum_", None),
            extra_versions=self.library_names(), model_class=type(self).__name__,
            contract_version=CONTRACT_VERSION, metrics=getattr(self, "metrics_", {}) or {},
            files={name: sha256_file(folder / name) for name in files})
        write_json_atomic(folder / MODEL_FILE, record)
        return folder

    @classmethod
    def load(cls, folder: Path):
        """Read a model written by :meth:`save`; verifies kind, file checksums and finiteness."""
        folder = Path(folder)
        record = read_model_record(folder)
        if record.get("kind") != cls.kind or record.get("model_class") != cls.__name__:
            raise ModelIntegrityError(f"{folder}: holds a {record.get('kind')!r} model "
                                      f"({record.get('model_class')}), not {cls.kind!r} ({cls.__name__})")
        verify_model_files(folder, record)
        params = cls._params_from_record(dict(record.get("parameters") or {}))
        try:
            check_finite_params(params, f"{folder}")
            model = cls(**params)
        except TypeError as exc:
            raise ModelIntegrityError(f"{folder / MODEL_FILE}: parameters do not fit {cls.__name__}: {exc}") from None
        except NonFiniteModel as exc:
            raise ModelIntegrityError(str(exc)) from None
        model._load_state(folder, record)
        model.metrics_ = dict(record.get("metrics") or {})
        model.data_checksum_ = record.get("data_checksum")
        try:
            check_finite_arrays(model._learned_arrays(), f"{folder}")
        except NonFiniteModel as exc:
            raise ModelIntegrityError(str(exc)) from None
        return model

    def library_names(self) -> tuple[str, ...]:
        """Libraries whose versions shape this model's results (recorded in ``model.json``)."""
        return ("scikit-learn",)


def read_model_record(folder: Path) -> dict[str, Any]:
    path = Path(folder) / MODEL_FILE
    if not path.is_file():
        raise ModelIntegrityError(f"{path}: no saved model here")
    try:
        record = read_json(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelIntegrityError(f"{path}: not a readable model record ({type(exc).__name__})") from None
    if not isinstance(record, dict) or not isinstance(record.get("files", {}), dict):
        raise ModelIntegrityError(f"{path}: not a model record")
    return record


def verify_model_files(folder: Path, record: dict[str, Any]) -> None:
    """Each file listed in ``model.json`` must exist inside ``folder`` with the recorded sha256."""
    folder = Path(folder).resolve()
    for name, digest in (record.get("files") or {}).items():
        path = (folder / name).resolve()
        if folder not in path.parents or not path.is_file():
            raise ModelIntegrityError(f"{folder}: saved model file {name!r} is missing or outside the model folder")
        if sha256_file(path) != digest:
            raise ModelIntegrityError(f"{folder}: {name} was changed after the model was saved (checksum mismatch)")


def model_classes(modules: Iterable[str] = ()) -> list[type[Model]]:
    """Every concrete :class:`Model` subclass defined so far (after importing ``modules``)."""
    import importlib

    for module in modules:
        importlib.import_module(module)
    seen, stack = [], list(Model.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls not in seen:
            seen.append(cls)
            stack.extend(cls.__subclasses__())
    return sorted((c for c in seen if c.kind != "model"), key=lambda c: f"{c.__module__}.{c.__name__}")
