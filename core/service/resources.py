"""What the service loads once per process and reloads when its artifact version changes.

Each resource is cached under (kind, catalog, profile) with the version it was loaded from. A
request asks for the current version (re-read at most every ``reload_check_seconds``) and gets
the cached object while it matches; a rebuilt index or a newly promoted model is loaded on the
next request after the check, under a per-resource lock so concurrent requests load it once.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from core import catalog as catalog_api
from core.errors import CatalogNotFound, MarqueeError
from core.io import utc_now
from core.service.errors import ApiError
from core.service.settings import Settings

Key = tuple[str, str, "str | None"]


@dataclass
class Loaded:
    version: str
    value: Any
    loaded_at: str


class Resources:
    def __init__(self, settings: Settings, encoder: Any = None):
        self.settings = settings
        self._encoder = encoder
        self._labels = None
        self._lock = threading.Lock()
        self._locks: dict[Key, threading.Lock] = {}
        self._loaded: dict[Key, Loaded] = {}
        self._checked: dict[Key, tuple[float, str, Any]] = {}

    # ------------------------------------------------------------------ generic
    def _key_lock(self, key: Key) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(key, threading.Lock())

    def current(self, key: Key, probe: Callable[[], tuple[str, Any]]) -> tuple[str, Any]:
        """``probe()`` → (version, details), re-run at most every ``reload_check_seconds``."""
        now = time.monotonic()
        seen = self._checked.get(key)
        if seen is not None and now - seen[0] < self.settings.reload_check_seconds:
            return seen[1], seen[2]
        version, details = probe()
        self._checked[key] = (now, version, details)
        return version, details

    def get(self, key: Key, version: str, load: Callable[[], Any]) -> Any:
        """The object for ``key`` loaded from ``version`` (loaded now if the cache holds another)."""
        found = self._loaded.get(key)
        if found is not None and found.version == version:
            return found.value
        with self._key_lock(key):
            found = self._loaded.get(key)
            if found is not None and found.version == version:
                return found.value
            value = load()
            self._loaded[key] = Loaded(version, value, utc_now().isoformat(timespec="seconds"))
            return value

    def loaded(self) -> list[dict[str, Any]]:
        return [{"kind": k[0], "catalog": k[1], "profile": k[2], "version": v.version, "loaded_at": v.loaded_at}
                for k, v in sorted(self._loaded.items(), key=lambda item: tuple(str(p) for p in item[0]))]

    # ------------------------------------------------------------------ catalogs
    def catalog_name(self, name: str | None) -> str:
        """The named catalog (404 naming ``catalog`` when unknown), or the active one."""
        if name is None:
            active = catalog_api.get_active()
            if active is None:
                raise ApiError(404, "catalog", "no catalog exists yet: build one (python -m core demo) or name one")
            return active
        if not catalog_api.catalog_exists(name):
            known = catalog_api.list_catalogs()
            raise ApiError(404, "catalog", f"no catalog named {name!r} (known: {', '.join(known[:20]) or 'none'})")
        return name

    def catalog_checksum(self, name: str) -> str:
        version, _ = self.current(("catalog", name, None),
                                  lambda: (str(catalog_api.read_manifest(name).get("data_checksum", "")), None))
        return version

    def catalog(self, name: str) -> catalog_api.Catalog:
        """The loaded catalog, reloaded when its data checksum changes (like pages/state/catalogs)."""
        checksum = self.catalog_checksum(name)
        try:
            return self.get(("catalog", name, None), checksum, lambda: catalog_api.load_catalog(name))
        except CatalogNotFound:
            raise ApiError(404, "catalog", f"no catalog named {name!r}") from None

    # ------------------------------------------------------------------ search
    def encoder(self):
        """The sentence-transformers encoder, loaded once per process (on the first search)."""
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    from core.search import Encoder

                    self._encoder = Encoder()
        return self._encoder

    def searcher(self, name: str):
        """(searcher, index version) of a catalog; 409 when it has no index yet."""
        from core import search

        def probe() -> tuple[str, Any]:
            status = search.index_status(name)
            manifest = status.get("manifest") or {}
            version = f"{manifest.get('created_at')}|{manifest.get('data_checksum')}|{manifest.get('documents')}"
            return f"{version}|{search.reranker_version(name)}", status

        version, status = self.current(("search-index", name, None), probe)
        if not status["exists"]:
            raise ApiError(409, "catalog", f"catalog {name!r} has no search index: build it with "
                                           f"`python -m core index build --catalog {name}`")
        encoder = self.encoder()
        try:
            searcher = self.get(("search-index", name, None), version,
                                lambda: search.load_searcher(name, encoder))
        except MarqueeError as exc:  # an index that must be rebuilt (edited files, older format)
            raise ApiError(409, "catalog", str(exc)) from None
        return searcher, version

    # ------------------------------------------------------------------ trained models
    def _artifact(self, kind: str, name: str, profile: str | None, current: Callable[[], str | None],
                  load: Callable[[Any], Any], missing: str) -> tuple[Any, str]:
        """(model, version) of an artifact slot; the version includes the catalog's checksum, so a
        rebuilt catalog or a new champion is loaded afresh. 409 when nothing was trained yet."""
        checksum = self.catalog_checksum(name)
        version, _ = self.current((kind, name, profile), lambda: (current(), None))
        if version is None:
            raise ApiError(409, None, missing)
        key_version = f"{version}|{checksum}"
        value = self.get((kind, name, profile), key_version, lambda: load(self.catalog(name)))
        return value, version

    def casting(self, name: str):
        from core.artifacts import Slot, default_store
        from core.casting import get_model

        def current():
            found = default_store().current(Slot("casting", name))
            return None if found is None else found.name

        return self._artifact("casting", name, None, current,
                              lambda catalog: get_model(catalog, train_if_missing=False),
                              f"no casting model for catalog {name!r}: run `python -m core casting train --catalog {name}`")

    def cf(self, name: str):
        from core.cf import cf_slot, load_champion
        from core.artifacts import default_store

        def current():
            found = default_store().current(cf_slot(name))
            return None if found is None else found.name

        return self._artifact("cf", name, None, current, lambda catalog: load_champion(catalog)[0],
                              f"no CF model for catalog {name!r}: run `python -m core cf train --catalog {name}`")

    def taste(self, profile: str, name: str):
        from core import personal

        return self._artifact("personal", name, profile, lambda: personal.trained_version(profile, name),
                              lambda catalog: personal.load_trained(profile, catalog),
                              f"profile {profile!r} has no taste model for catalog {name!r}: run "
                              f"`python -m core personal train --profile {profile} --catalog {name}`")

    def shared(self, name: str):
        from core import personal

        return self._artifact("personal-shared", name, None, lambda: personal.shared_version(name),
                              personal.load_shared,
                              f"catalog {name!r} has no shared taste model: run "
                              f"`python -m core personal train-shared --catalog {name}`")

    def labels_store(self):
        """The labels store the Labeling page writes to (MARQUEE_LABELS_URL or the default), opened once."""
        if self._labels is None:
            with self._lock:
                if self._labels is None:
                    from core import personal

                    self._labels = personal.open_store()
        return self._labels

    def profile(self, profile: str) -> str:
        """A profile the labels store knows (404 naming ``profile`` otherwise)."""
        if profile not in self.labels_store().profiles():
            raise ApiError(404, "profile", f"no profile named {profile!r}")
        return profile
