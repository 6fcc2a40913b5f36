"""Sentence embeddings (loaded offline) and a content-addressed embedding cache.

The cache maps (model id, document content hash) to a normalised vector. It lives in
``MARQUEE_EMBEDDING_CACHE`` or ``<artifacts>/search/embedding-cache`` as Parquet shards (hash
string + fixed-size float32 list), never pickles, and is shared by every index built with the
same model: rebuilding after a catalog change embeds only new or changed texts.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import time
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from core import config
from core.errors import MarqueeError
from core.io import atomic_path
from core.progress import Cancelled, ProgressFn, null_progress

log = logging.getLogger(__name__)
CHUNK = 256          # at most this many texts per progress step
STEP_SECONDS = 2.0   # a progress step (where a cancel is honoured) lasts about this long at the measured rate
FIRST_STEP = 8       # texts in the first step, before a rate is measured
MAX_SHARDS = 16      # compact the cache when it has more shard files than this


def cache_root() -> Path:
    configured = os.environ.get("MARQUEE_EMBEDDING_CACHE")
    return Path(configured).expanduser().resolve() if configured else config.artifacts_dir() / "search" / "embedding-cache"


def model_fingerprint(path: str) -> str:
    """A stable id for the model: its folder name plus a hash of its config and weight sizes."""
    folder = Path(path)
    if not folder.is_dir():
        return re.sub(r"[^A-Za-z0-9_.-]+", "-", path)
    digest = hashlib.sha256()
    for item in sorted(folder.rglob("*")):
        if item.is_file():
            rel = item.relative_to(folder).as_posix()
            digest.update(rel.encode())
            digest.update(item.read_bytes() if item.suffix == ".json" else str(item.stat().st_size).encode())
    return f"{folder.name}-{digest.hexdigest()[:12]}"


def next_step(texts: int, seconds: float) -> int:
    """Texts in the next progress step: about ``STEP_SECONDS`` at the rate just measured, from 1
    (a machine so loaded that a text takes seconds) to ``CHUNK``; from 8 up a multiple of 8."""
    if seconds <= 0:
        return CHUNK
    fits = texts * STEP_SECONDS / seconds
    return int(min(CHUNK, fits // 8 * 8 if fits >= 8 else max(1, fits // 1)))


class Encoder:
    """A sentence-transformers model on CPU producing L2-normalised float32 vectors."""

    def __init__(self, model_path: str | None = None, batch_size: int = 64, threads: int | None = None):
        from sentence_transformers import SentenceTransformer

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.threads = threads or int(os.environ.get("MARQUEE_EMBED_THREADS", "2"))
        self.model_path = model_path or config.embedding_model_path()
        self.batch_size = batch_size
        try:
            self.model = SentenceTransformer(self.model_path, device="cpu")
        except Exception as exc:  # the library raises many types for a missing or broken model
            raise MarqueeError(f"cannot load the embedding model from {self.model_path!r} ({exc}); set "
                               "MARQUEE_EMBEDDING_MODEL to a local sentence-transformers folder") from None
        self.model_id = model_fingerprint(self.model_path)
        self.dim = int(self.model.get_embedding_dimension() if hasattr(self.model, "get_embedding_dimension")
                       else self.model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str], progress: ProgressFn | None = None) -> np.ndarray:
        import torch

        progress = progress or null_progress
        # One thread for a single query: on a busy 2-core machine a second thread mostly waits
        # (measured: 20 ms vs 200-750 ms per query under load); batches use ``threads``.
        torch.set_num_threads(1 if len(texts) == 1 else self.threads)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Longest first over the whole list, so each batch holds texts of similar length (less padding).
        order = np.argsort([-len(t) for t in texts], kind="stable")
        # Steps sized from the measured rate to last about STEP_SECONDS, so a cancel (raised by the
        # progress call) acts within seconds on a loaded machine, not after a 256-text chunk.
        # A cancel carries the texts finished before it (``Cancelled.partial``: positions, vectors),
        # so the caller can keep them in the embedding cache.
        start, step = 0, FIRST_STEP
        try:
            while start < len(texts):
                rows = order[start:start + step]
                began = time.perf_counter()
                out[rows] = self.model.encode(
                    [texts[i] for i in rows], batch_size=min(self.batch_size, len(rows)), normalize_embeddings=True,
                    show_progress_bar=False, convert_to_numpy=True)
                seconds = time.perf_counter() - began
                start += len(rows)
                progress(start, len(texts), "embedding")
                step = next_step(len(rows), seconds)
        except Cancelled as cancel:
            finished = np.sort(order[:start])
            cancel.partial = (finished, out[finished])
            raise
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


class EmbeddingCache:
    """Vectors by content hash for one model; new vectors are appended as a new shard."""

    def __init__(self, model_id: str, dim: int, root: Path | None = None):
        self.folder = (root or cache_root()) / re.sub(r"[^A-Za-z0-9_.-]+", "-", model_id)
        self.dim = dim
        self._vectors: dict[str, np.ndarray] | None = None

    def _load(self) -> dict[str, np.ndarray]:
        if self._vectors is None:
            self._vectors = {}
            for shard in self._shards():
                try:
                    table = pq.read_table(shard)
                except (FileNotFoundError, OSError, pa.ArrowInvalid):
                    log.warning("skipping unreadable embedding cache shard %s", shard)
                    continue
                if table.schema.field("vector").type.list_size != self.dim:
                    continue
                vectors = table.column("vector").combine_chunks().values.to_numpy().reshape(-1, self.dim)
                self._vectors.update(zip(table.column("hash").to_pylist(), vectors))
        return self._vectors

    def _shards(self) -> list[Path]:
        return sorted(self.folder.glob("shard-*.parquet")) if self.folder.exists() else []

    def get(self, hashes: list[str]) -> dict[str, np.ndarray]:
        known = self._load()
        return {h: known[h] for h in hashes if h in known}

    def add(self, hashes: list[str], vectors: np.ndarray) -> None:
        if not len(hashes):
            return
        self._write(self.folder / f"shard-{uuid.uuid4().hex}.parquet", hashes, vectors)
        self._load().update(zip(hashes, vectors))
        if len(self._shards()) > MAX_SHARDS:
            self._compact()

    def _write(self, path: Path, hashes: list[str], vectors: np.ndarray) -> None:
        flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).ravel())
        table = pa.table({"hash": pa.array(hashes, pa.string()),
                          "vector": pa.FixedSizeListArray.from_arrays(flat, self.dim)})
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp, compression="zstd")

    def _compact(self) -> None:
        old = self._shards()
        known = self._load()
        hashes = list(known)
        self._write(self.folder / f"shard-{uuid.uuid4().hex}.parquet", hashes, np.vstack([known[h] for h in hashes]))
        for shard in old:
            shard.unlink(missing_ok=True)
