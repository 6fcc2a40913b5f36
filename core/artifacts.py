"""The one versioned store for every trained model (and other built artifacts).

Layout under the artifacts folder (``MARQUEE_ARTIFACTS_DIR``, default ``artifacts/``)::

    <kind>/<catalog>[/<profile>]/
        registry.json      {"champion": "v0002", "versions": {"v0001": {status, created_at, metrics, ...}}}
        decisions.json     [{"time", "champion", "challenger", "promoted", "reasons", ...}, ...]
        v0001/             the model's own files + model.json (see core.models) + manifest.json
        v0002/ ...

A version folder is written whole through :func:`core.io.staged_dir` and registered only once it
is complete; version numbers are taken under a per-slot lock, so two writers never claim the same
one. The champion pointer is a version name (``v`` and digits) that must exist in the slot:
nothing in ``registry.json`` can point a loader outside it. A version carries the data checksum
of the catalog it was built from; :meth:`ArtifactStore.load` refuses one built from another
catalog version (:class:`StaleArtifact`) and re-checks every file's checksum via the model.
Metrics must be finite to register or promote.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from core import config, tracking
from core.errors import MarqueeError
from core.io import build_manifest, read_json, staged_dir, target_lock, utc_now, write_json_atomic
from core.models import Model, NonFiniteModel, check_finite_metrics

REGISTRY = "registry.json"
DECISIONS = "decisions.json"
MANIFEST = "manifest.json"
VERSION_PATTERN = re.compile(r"^v\d{4,9}$")
SLOT_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
STATUSES = ("candidate", "champion", "retired", "rejected")


class StaleArtifact(MarqueeError):
    """The artifact was built from another version of the catalog (or is otherwise out of date)."""


class ArtifactNotFound(MarqueeError):
    """Nothing of that kind has been built for that catalog (and profile) yet."""


@dataclass(frozen=True)
class Slot:
    """Where one line of versions lives: a kind, a catalog, optionally a profile."""

    kind: str
    catalog: str
    profile: str | None = None

    def __post_init__(self) -> None:
        for field_name in ("kind", "catalog", "profile"):
            value = getattr(self, field_name)
            if value is None and field_name == "profile":
                continue
            if not isinstance(value, str) or not SLOT_PART.match(value) or value.endswith(("\n", ".")):
                raise MarqueeError(f"{field_name} {value!r}: use 1–64 letters, digits, '_', '-' or '.', "
                                   f"starting with a letter or digit")

    @property
    def parts(self) -> tuple[str, ...]:
        return (self.kind, self.catalog) + ((self.profile,) if self.profile else ())

    def __str__(self) -> str:
        return "/".join(self.parts)


@dataclass(frozen=True)
class Version:
    slot: Slot
    name: str
    path: Path
    info: dict[str, Any]

    @property
    def manifest(self) -> dict[str, Any]:
        return read_json(self.path / MANIFEST)


def check_version_name(name: Any) -> str:
    if not isinstance(name, str) or not VERSION_PATTERN.match(name):
        raise MarqueeError(f"version {name!r}: expected a version name such as v0001")
    return name


class ArtifactStore:
    """Versions, champion pointer and decision log for every slot under ``root``."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else config.artifacts_dir()

    # ------------------------------------------------------------------ paths and state
    def slot_dir(self, slot: Slot) -> Path:
        return self.root.joinpath(*slot.parts)

    def version_dir(self, slot: Slot, version: str) -> Path:
        return self.slot_dir(slot) / check_version_name(version)

    def _state(self, slot: Slot) -> dict[str, Any]:
        path = self.slot_dir(slot) / REGISTRY
        if not path.exists():
            return {"champion": None, "versions": {}}
        try:
            state = read_json(path)
        except (ValueError, UnicodeDecodeError):
            raise MarqueeError(f"{slot}: the registry file is unreadable (truncated or edited); "
                               f"retrain to write a new one") from None
        if not isinstance(state, dict) or not isinstance(state.get("versions"), dict):
            raise MarqueeError(f"{slot}: the registry file is not a registry")
        champion = state.get("champion")
        if champion is not None and (not isinstance(champion, str) or not VERSION_PATTERN.match(champion)
                                     or champion not in state["versions"]):
            raise MarqueeError(f"{slot}: the registry's champion pointer {champion!r} is not one of its versions")
        for name in state["versions"]:
            check_version_name(name)
        return state

    def _write_state(self, slot: Slot, state: dict[str, Any]) -> None:
        write_json_atomic(self.slot_dir(slot) / REGISTRY, state)

    def versions(self, slot: Slot) -> list[Version]:
        state = self._state(slot)
        return [Version(slot, name, self.version_dir(slot, name), info)
                for name, info in sorted(state["versions"].items())]

    def champion(self, slot: Slot) -> Version | None:
        state = self._state(slot)
        name = state["champion"]
        return None if name is None else Version(slot, name, self.version_dir(slot, name), state["versions"][name])

    def latest(self, slot: Slot) -> Version | None:
        versions = self.versions(slot)
        return versions[-1] if versions else None

    def current(self, slot: Slot) -> Version | None:
        """The champion, or the newest version when none has been promoted."""
        return self.champion(slot) or self.latest(slot)

    def decisions(self, slot: Slot) -> list[dict[str, Any]]:
        path = self.slot_dir(slot) / DECISIONS
        if not path.exists():
            return []
        try:
            records = read_json(path)
        except (ValueError, UnicodeDecodeError):
            raise MarqueeError(f"{slot}: the decision log is unreadable (truncated or edited)") from None
        return records if isinstance(records, list) else []

    def slots(self, kind: str | None = None) -> Iterator[Slot]:
        """Every slot that has a registry, optionally of one kind (for monitoring and the API)."""
        if not self.root.exists():
            return
        for registry in sorted(self.root.glob(f"{kind or '*'}/*/{REGISTRY}")) + \
                sorted(self.root.glob(f"{kind or '*'}/*/*/{REGISTRY}")):
            parts = registry.parent.relative_to(self.root).parts
            try:
                yield Slot(*parts)
            except MarqueeError:
                continue

    # ------------------------------------------------------------------ writing
    def save(self, slot: Slot, write: Callable[[Path], Any] | Model, *, data_checksum: str | None,
             metrics: dict[str, Any] | None = None, parameters: dict[str, Any] | None = None,
             note: str = "", **fields: Any) -> Version:
        """Write a new version (status ``candidate``) and return it.

        ``write`` is a :class:`~core.models.Model` (saved with its own ``save``) or a function
        that writes files into the folder it is given. The version folder is staged and swapped
        in whole; the registry is updated only after it is in place.
        """
        metrics = dict(metrics or {})
        check_finite_metrics(metrics, str(slot))
        slot_dir = self.slot_dir(slot)
        with target_lock(slot_dir / REGISTRY):
            state = self._state(slot)
            taken = {int(name[1:]) for name in state["versions"]}
            taken |= {int(p.name[1:]) for p in slot_dir.glob("v*") if VERSION_PATTERN.match(p.name)}
            name = f"v{max(taken, default=0) + 1:04d}"
            target = slot_dir / name
            with staged_dir(target) as staging:
                if isinstance(write, Model):
                    write.save(staging)
                    parameters = parameters if parameters is not None else write.get_params(deep=False)
                else:
                    write(staging)
                manifest = build_manifest(slot.kind, parameters or {}, data_checksum, slot=str(slot), version=name,
                                          catalog=slot.catalog, profile=slot.profile, metrics=metrics, note=note,
                                          **fields)
                write_json_atomic(staging / MANIFEST, manifest)
            state = self._state(slot)
            state["versions"][name] = {"status": "candidate", "created_at": manifest["created_at"], "note": note,
                                       "data_checksum": data_checksum, "metrics": metrics}
            self._write_state(slot, state)
        version = Version(slot, name, target, state["versions"][name])
        tracking.log_version(version)  # MLflow, when MARQUEE_MLFLOW_URI is set (never fails the save)
        return version

    def set_status(self, slot: Slot, version: str, status: str) -> None:
        if status not in STATUSES:
            raise MarqueeError(f"status {status!r}: choose one of {', '.join(STATUSES)}")
        with target_lock(self.slot_dir(slot) / REGISTRY):
            state = self._state(slot)
            self._require(slot, state, version)
            state["versions"][version]["status"] = status
            self._write_state(slot, state)

    def promote(self, slot: Slot, version: str) -> None:
        """Make ``version`` the champion (the previous champion is retired).

        Refuses a version whose recorded metrics are not finite.
        """
        with target_lock(self.slot_dir(slot) / REGISTRY):
            state = self._state(slot)
            self._require(slot, state, version)
            try:
                check_finite_metrics(state["versions"][version].get("metrics") or {}, f"{slot} {version}")
            except NonFiniteModel as exc:
                raise NonFiniteModel(f"{exc}: not promoted") from None
            previous = state["champion"]
            if previous and previous != version:
                state["versions"][previous]["status"] = "retired"
            state["versions"][version]["status"] = "champion"
            state["champion"] = version
            self._write_state(slot, state)

    def log_decision(self, slot: Slot, record: dict[str, Any]) -> dict[str, Any]:
        record = {"time": utc_now().isoformat(timespec="seconds"), **record}
        with target_lock(self.slot_dir(slot) / DECISIONS):
            write_json_atomic(self.slot_dir(slot) / DECISIONS, self.decisions(slot) + [record])
        return record

    def _require(self, slot: Slot, state: dict, version: str) -> None:
        check_version_name(version)
        if version not in state["versions"]:
            raise MarqueeError(f"{slot}: unknown version {version!r}")

    # ------------------------------------------------------------------ reading
    def resolve(self, slot: Slot, version: str | None = None, *, data_checksum: str | None = None,
                what: str | None = None, fix: str = "") -> Version:
        """The named version, else the champion, else the newest; checks it matches the catalog.

        ``data_checksum``: the catalog's current checksum; a version built from another one is
        refused with :class:`StaleArtifact`. ``what``/``fix`` word the "nothing built" error.
        """
        what = what or f"{slot.kind} artifact"
        if version is not None:
            state = self._state(slot)
            self._require(slot, state, version)
            found = Version(slot, version, self.version_dir(slot, version), state["versions"][version])
        else:
            found = self.current(slot)
        if found is None or not found.path.is_dir():
            where = f"catalog {slot.catalog!r}" + (f", profile {slot.profile!r}" if slot.profile else "")
            raise ArtifactNotFound(f"no {what} for {where} yet" + (f": {fix}" if fix else ""))
        built_from = found.info.get("data_checksum")
        if data_checksum is not None and built_from is not None and built_from != data_checksum:
            raise StaleArtifact(f"the {what} {found.name} for catalog {slot.catalog!r} was built from another "
                                f"version of the catalog" + (f": {fix}" if fix else ""))
        return found

    def load(self, model_class: type[Model], slot: Slot, version: str | None = None, *,
             data_checksum: str | None = None, fix: str = "") -> tuple[Model, Version]:
        """Load a model of ``model_class`` from a version (see :meth:`resolve`)."""
        found = self.resolve(slot, version, data_checksum=data_checksum, what=f"{slot.kind} model", fix=fix)
        return model_class.load(found.path), found

    def summary(self) -> list[dict[str, Any]]:
        """Every slot with its champion and versions (status, created, metrics): for pages and the API."""
        rows = []
        for slot in self.slots():
            try:
                state = self._state(slot)
            except MarqueeError as exc:
                rows.append({"kind": slot.kind, "catalog": slot.catalog, "profile": slot.profile, "error": str(exc)})
                continue
            rows.append({"kind": slot.kind, "catalog": slot.catalog, "profile": slot.profile,
                         "champion": state["champion"],
                         "versions": [{"version": name, **info} for name, info in sorted(state["versions"].items())]})
        return rows


def default_store() -> ArtifactStore:
    """The store under the configured artifacts folder (re-read each call, so tests can repoint it)."""
    return ArtifactStore()
