"""Batch embedding on Spark, into the same content-addressed cache the local index build reads.

Documents whose content hash the cache lacks for the configured model are sent to Spark in
chunks; ``mapInPandas`` encodes each partition with the same :class:`core.search.embeddings.Encoder`
the local build uses, loaded once per Python worker (workers are reused between tasks). Each
chunk's vectors come back to the driver and are appended to the cache as one shard, so an
interrupted run keeps every finished chunk and the next run (local or Spark) embeds only the rest.
The FAISS index is then assembled by the ordinary local build, which finds every vector cached.

Executors must have the embedding model package installed; each one checks that its model has
the driver's fingerprint before encoding, so vectors are never filed under the wrong model.
"""
from __future__ import annotations

import os
import time
from typing import Any, Iterator

import numpy as np
import pandas as pd

from core import config
from core.errors import MarqueeError
from core.progress import ProgressFn, null_progress

CHUNK_DOCS = 20_000           # documents per Spark job: one cache shard, one progress step
DOCS_PER_PARTITION = 500      # enough work per task to hide the per-task overhead
_WORKER_ENCODERS: dict[tuple, Any] = {}


def _worker_encoder(model_path: str, threads: int, batch_size: int):
    """The worker process's encoder (loaded on first use, then kept for later tasks)."""
    from core.search.embeddings import Encoder

    key = (model_path, threads, batch_size)
    if key not in _WORKER_ENCODERS:
        path = model_path if os.path.exists(model_path) else config.embedding_model_path()
        _WORKER_ENCODERS[key] = Encoder(path, batch_size=batch_size, threads=threads)
    return _WORKER_ENCODERS[key]


def partition_encoder(model_path: str, model_id: str, threads: int = 1, batch_size: int = 64):
    """The ``mapInPandas`` function: (hash, text) batches in, (hash, vector) batches out."""

    def encode(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        encoder = _worker_encoder(model_path, threads, batch_size)
        if encoder.model_id != model_id:
            raise RuntimeError(f"executor embedding model {encoder.model_id} differs from the driver's {model_id}: "
                               "install the same model package on every executor")
        for batch in batches:
            vectors = encoder.encode(batch["text"].tolist()) if len(batch) else np.zeros((0, encoder.dim), np.float32)
            yield pd.DataFrame({"hash": batch["hash"].to_numpy(), "vector": list(vectors)})

    return encode


def embed_texts(spark, hashes: list[str], texts: list[str], model_path: str, model_id: str,
                threads: int | None = None, batch_size: int = 64,
                docs_per_partition: int = DOCS_PER_PARTITION) -> dict[str, np.ndarray]:
    """Vectors of ``texts`` (keyed by their ``hashes``) computed by Spark tasks."""
    if len(hashes) != len(texts):
        raise MarqueeError(f"{len(hashes)} hashes but {len(texts)} texts")
    if not hashes:
        return {}
    threads = threads or int(os.environ.get("MARQUEE_SPARK_EMBED_THREADS", "1"))
    frame = pd.DataFrame({"hash": hashes, "text": texts})
    partitions = max(1, -(-len(frame) // docs_per_partition))
    data = spark.createDataFrame(frame, schema="hash string, text string").repartition(partitions)
    result = data.mapInPandas(partition_encoder(model_path, model_id, threads, batch_size),
                              schema="hash string, vector array<float>")
    try:
        collected = result.toPandas()
    except Exception as exc:  # a worker's exception arrives wrapped in Py4J/Spark types
        message = str(exc)
        marker = "RuntimeError: "
        if marker in message:
            message = message[message.index(marker) + len(marker):].splitlines()[0]
        raise MarqueeError(f"Spark embedding failed: {message.splitlines()[0] if message else type(exc).__name__}") from None
    return {h: np.asarray(v, dtype=np.float32) for h, v in zip(collected["hash"], collected["vector"])}


def embed_missing(spark, documents: pd.DataFrame, cache, model_path: str, model_id: str,
                  progress: ProgressFn | None = None, chunk_docs: int = CHUNK_DOCS, **options) -> dict[str, Any]:
    """Embed on Spark every distinct hash of ``documents`` (columns hash, text) that ``cache``
    lacks, adding each chunk to the cache as it finishes. Returns counts and seconds."""
    progress = progress or null_progress
    started = time.perf_counter()
    unique = documents.drop_duplicates("hash")
    known = cache.get(unique["hash"].tolist())
    missing = unique[~unique["hash"].isin(known.keys())]
    done = 0
    progress(0, len(missing), f"{len(known):,} cached, {len(missing):,} to embed on Spark")
    for start in range(0, len(missing), chunk_docs):
        chunk = missing.iloc[start:start + chunk_docs]
        vectors = embed_texts(spark, chunk["hash"].tolist(), chunk["text"].tolist(), model_path, model_id, **options)
        lost = [h for h in chunk["hash"] if h not in vectors]
        if lost:
            raise MarqueeError(f"Spark returned no vector for {len(lost)} document(s) (first hash {lost[0][:12]})")
        hashes = chunk["hash"].tolist()
        cache.add(hashes, np.vstack([vectors[h] for h in hashes]))
        done += len(chunk)
        progress(done, len(missing), "embedded on Spark")
    return {"documents": int(len(documents)), "distinct": int(len(unique)), "from_cache": int(len(known)),
            "embedded_on_spark": int(len(missing)), "seconds": round(time.perf_counter() - started, 3)}
