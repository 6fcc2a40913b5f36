"""The search index of one catalog: documents, a FAISS inner-product index over normalised
embeddings, and BM25 over the same texts.

Saved under ``<artifacts>/search/<catalog>/``::

    index.faiss        FAISS IndexFlatIP (row i = documents.parquet row i)
    documents.parquet  id map (faiss_id, movie_id, hash) plus the fields filters and boosts use
    bm25.npz           BM25 weight matrix (CSC arrays), idf and vocabulary; no pickle
    manifest.json      model id, catalog checksum, counts, timings, sha256 of the three files

The loader and ``index_status`` check those checksums (once per process per file version), so
an edited ``documents.parquet``, ``index.faiss`` or ``bm25.npz`` is refused, never served as fresh.

A rebuild reuses vectors from the embedding cache and from the previous index, and
embeds only documents whose content hash is new.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from core import config, tracking
from core.errors import MarqueeError
from core.io import (build_manifest, read_json, sha256_file, sha256_file_cached, staged_dir, write_json_atomic,
                     write_parquet_atomic)
from core.progress import Cancelled, ProgressFn, null_progress
from core.search.bm25 import BM25
from core.search.documents import DOC_FORMAT_VERSION, PASSAGE_WORDS, TOP_CAST, build_documents, passages
from core.search.embeddings import EmbeddingCache, Encoder, model_fingerprint

log = logging.getLogger(__name__)
FAISS_FILE, DOCS_FILE, BM25_FILE, MANIFEST_FILE = "index.faiss", "documents.parquet", "bm25.npz", "manifest.json"
PASSAGES_FILE = "passages.npz"    # plot passage vectors and their document rows (only when passages are on)


def index_dir(catalog_name: str) -> Path:
    return config.artifacts_dir() / "search" / catalog_name


@dataclass
class SearchIndex:
    """Documents (row order = FAISS ids), their vectors, the FAISS index and BM25."""

    documents: pd.DataFrame
    vectors: np.ndarray
    faiss_index: Any
    bm25: BM25
    manifest: dict[str, Any] = field(default_factory=dict)
    passage_vectors: np.ndarray | None = None   # one row per plot passage (documents.passages)
    passage_rows: np.ndarray | None = None      # the document row of each passage, ascending
    passage_hashes: np.ndarray | None = None    # content hash of each passage (reused by the next build)

    def __len__(self) -> int:
        return len(self.documents)

    def dense_search(self, query_vector: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows and inner products of the ``k`` nearest documents, optionally within ``mask``.

        A mask holding few films (under ``EXACT_SUBSET`` of them) is searched exactly over those
        rows with one matrix-vector product: exact, and faster than a filtered graph walk, whose
        recall drops when most nodes are filtered out."""
        import faiss

        if k <= 0 or not len(self) or (mask is not None and not mask.any()):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        query = np.asarray(query_vector, dtype=np.float32).reshape(1, -1)
        params = None
        if mask is not None and not mask.all():
            rows = np.flatnonzero(mask)
            if len(rows) <= EXACT_SUBSET:
                scores = self.vectors[rows] @ query[0]
                order = np.argsort(-scores, kind="stable")[:k]
                return rows[order].astype(np.int64), scores[order].astype(np.float32)
            selector = faiss.IDSelectorBitmap(np.packbits(mask.astype(np.uint8), bitorder="little"))
            params = _search_parameters(self.faiss_index, selector)
        elif not isinstance(self.faiss_index, faiss.IndexFlat):
            params = _search_parameters(self.faiss_index, None)
        scores, rows = self.faiss_index.search(query, min(k, len(self)), params=params)
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), scores[0][keep]


    def film_cosines(self, query_vector: np.ndarray) -> np.ndarray:
        """Every film's dense similarity to the query: the cosine of its document, or of its best
        plot passage when that is higher (max-pool). Exact: one product over documents and one
        over passages."""
        query = np.asarray(query_vector, dtype=np.float32).ravel()
        scores = self.vectors @ query
        if self.passage_vectors is not None and len(self.passage_vectors):
            if getattr(self, "_groups", None) is None:
                starts = np.flatnonzero(np.r_[True, self.passage_rows[1:] != self.passage_rows[:-1]])
                self._groups = (starts, self.passage_rows[starts])
            starts, owners = self._groups
            best = np.maximum.reduceat(self.passage_vectors @ query, starts)
            scores[owners] = np.maximum(scores[owners], best)
        return scores

    @property
    def has_passages(self) -> bool:
        return self.passage_vectors is not None and len(self.passage_vectors) > 0


BM25_STEM = True           # Snowball stems in BM25 (PyStemmer): validation MRR@10, bench_search_quality.py
EXACT_SUBSET = 20_000      # masks up to this many films are searched exactly (one product, < 5 ms)
ANN_FROM = 200_000         # "auto" builds an approximate (HNSW) index from this many films up
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 128
IVF_NPROBE = 32


def _search_parameters(index, selector):
    import faiss

    if isinstance(index, faiss.IndexHNSW):
        return faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, index.hnsw.efSearch))
    if isinstance(index, faiss.IndexIVF):
        return faiss.SearchParametersIVF(sel=selector, nprobe=max(IVF_NPROBE, index.nprobe))
    return faiss.SearchParameters(sel=selector)


def ann_kind(n: int, ann: str = "auto") -> str:
    """``flat`` (exact), ``hnsw`` or ``ivf``; ``auto`` is exact below ``ANN_FROM`` films."""
    if ann not in ("auto", "flat", "hnsw", "ivf"):
        raise MarqueeError(f"unknown index kind {ann!r}: choose auto, flat, hnsw or ivf")
    return ("hnsw" if n >= ANN_FROM else "flat") if ann == "auto" else ann


def _faiss_from(vectors: np.ndarray, ann: str = "auto"):
    """A FAISS inner-product index over normalised vectors: exact (``IndexFlatIP``) or, for large
    catalogs, HNSW (M 32, efConstruction 80, efSearch 128) or IVF (√n lists, nprobe 32); recall and
    latency of each on 1M synthetic vectors: ``benchmarks/bench_search_ann.py``."""
    import faiss

    d = vectors.shape[1]
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    kind = ann_kind(len(vectors), ann)
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    elif kind == "ivf":
        nlist = max(1, min(int(np.sqrt(max(len(vectors), 1))), 65536))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
        if len(vectors):
            sample = data[np.random.default_rng(0).permutation(len(data))[:max(nlist * 40, 10_000)]]
            index.train(sample)
        index.nprobe = IVF_NPROBE
        index.make_direct_map()
    else:
        index = faiss.IndexFlatIP(d)
    if len(vectors):
        index.add(data)
    return index


SAVE_EVERY = 2048     # embedded texts written to the embedding cache at a time during a build


def embed_texts(hashes: list[str], texts: list[str], encoder: Encoder, progress: ProgressFn | None = None,
                cache: EmbeddingCache | None = None,
                previous: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, dict[str, int]]:
    """Vectors for ``texts`` (keyed by content ``hashes``) in order, embedding only hashes found in
    neither the cache nor ``previous`` (hash → vector from the last index).

    New vectors reach the cache every ``SAVE_EVERY`` texts, not at the end: a build cancelled
    or killed half-way keeps what it embedded, and the next build resumes from there."""
    progress = progress or null_progress
    cache = cache or EmbeddingCache(encoder.model_id, encoder.dim)
    unique = list(dict.fromkeys(hashes))
    known = cache.get(unique)
    from_cache = len(known)
    from_index = 0
    for h in unique:
        if h not in known and previous and h in previous:
            known[h] = previous[h]
            from_index += 1
    missing = [h for h in unique if h not in known]
    if missing:
        text_of = dict(zip(hashes, texts))
        for start in range(0, len(missing), SAVE_EVERY):
            part = missing[start:start + SAVE_EVERY]

            def step(done, total, message="", offset=start):
                progress(offset + done, len(missing), message)

            try:
                fresh = encoder.encode([text_of[h] for h in part], progress=step)
            except Cancelled as cancel:  # keep what was embedded before the cancel (the resume starts there)
                rows, vectors = getattr(cancel, "partial", ((), None))
                cache.add([part[i] for i in rows], vectors)
                raise
            cache.add(part, fresh)
            known.update(zip(part, fresh))
    progress(len(missing), len(missing), "embedded")
    vectors = np.vstack([known[h] for h in hashes]).astype(np.float32) if hashes else np.zeros((0, encoder.dim), np.float32)
    return vectors, {"embedded": len(missing), "from_cache": from_cache, "from_previous_index": from_index}


def embed_documents(documents: pd.DataFrame, encoder: Encoder, progress: ProgressFn | None = None,
                    cache: EmbeddingCache | None = None,
                    previous: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, dict[str, int]]:
    """Vectors for ``documents`` in row order (``embed_texts`` over their texts and hashes)."""
    return embed_texts(documents["hash"].tolist(), documents["text"].tolist(), encoder, progress, cache, previous)


def assemble_index(documents: pd.DataFrame, vectors: np.ndarray, manifest: dict[str, Any] | None = None,
                   k1: float = 1.2, b: float = 0.75, ann: str = "auto", passage_vectors: np.ndarray | None = None,
                   passage_rows: np.ndarray | None = None, stem: bool | None = None) -> SearchIndex:
    documents = documents.reset_index(drop=True)
    stem = BM25_STEM if stem is None else stem
    return SearchIndex(documents=documents, vectors=vectors, faiss_index=_faiss_from(vectors, ann),
                       bm25=BM25(k1=k1, b=b, stem=stem).fit(documents["text"].tolist()), manifest=manifest or {},
                       passage_vectors=passage_vectors, passage_rows=passage_rows)


def embed_passages(documents: pd.DataFrame, encoder: Encoder, words: int, progress: ProgressFn | None = None,
                   cache: EmbeddingCache | None = None, previous: dict[str, np.ndarray] | None = None,
                   with_hashes: bool = False):
    """Plot passage vectors and their document rows (``documents.passages``); None without any.
    Like documents, only passages found in neither the cache nor ``previous`` are embedded.
    ``with_hashes`` adds the passages' content hashes as a fourth value."""
    table = passages(documents, words)
    if table.empty:
        out = (None, None, {"passages": 0, "passages_embedded": 0})
        return out + (None,) if with_hashes else out
    vectors, counts = embed_texts(table["hash"].tolist(), table["text"].tolist(), encoder, progress, cache, previous)
    out = (vectors, table["row"].to_numpy(dtype=np.int64),
           {"passages": len(table), "passages_embedded": counts["embedded"]})
    return out + (np.asarray(table["hash"].tolist(), dtype=str),) if with_hashes else out


def build_index(catalog_name: str, encoder: Encoder | None = None, progress: ProgressFn | None = None,
                cache: EmbeddingCache | None = None, save: bool = True,
                passage_words: int | None = None) -> tuple[SearchIndex, dict[str, Any]]:
    """Build (incrementally) and save the index of a catalog; returns it and build statistics."""
    from core.catalog import store

    started = time.perf_counter()
    catalog = store.load_catalog(catalog_name, verify=False, tables=("movies", "people", "credits"))
    documents = build_documents(catalog)
    if documents.empty:
        raise MarqueeError(f"catalog {catalog_name!r} has no films to index")
    encoder = encoder or Encoder()
    previous = _previous_vectors(index_dir(catalog_name), encoder.model_id)
    t_docs = time.perf_counter()
    vectors, counts = embed_documents(documents, encoder, progress, cache, previous)
    t_doc_embed = time.perf_counter()
    words = PASSAGE_WORDS if passage_words is None else int(passage_words)
    passage_vectors, passage_rows, passage_counts, passage_hashes = embed_passages(
        documents, encoder, words, progress, cache, previous, with_hashes=True)
    counts.update(passage_counts)
    t_embed = time.perf_counter()
    stats = {"catalog": catalog_name, "documents": len(documents), **counts,
             "seconds": {"documents": round(t_docs - started, 3), "embedding": round(t_embed - t_docs, 3),
                         "passage_embedding": round(t_embed - t_doc_embed, 3)}}
    embedded = counts["embedded"] + counts["passages_embedded"]
    stats["texts_per_second"] = round(embedded / max(t_embed - t_docs, 1e-9), 1) if embedded else None
    manifest = build_manifest(
        "search-index", {"model": encoder.model_path, "model_id": encoder.model_id, "dim": encoder.dim,
                         "doc_format_version": DOC_FORMAT_VERSION, "top_cast": TOP_CAST, "bm25": {"k1": 1.2, "b": 0.75, "stem": BM25_STEM},
                         "passage_words": words,
                         "dense_index": ann_kind(len(documents))},
        data_checksum=catalog.data_checksum, extra_versions=("faiss-cpu", "sentence-transformers", "torch", "scipy"),
        catalog=catalog_name, documents=len(documents), build=counts,
        files={"faiss": FAISS_FILE, "documents": DOCS_FILE, "bm25": BM25_FILE})
    index = assemble_index(documents, vectors, manifest, passage_vectors=passage_vectors, passage_rows=passage_rows)
    index.passage_hashes = passage_hashes
    if save:
        save_index(index, index_dir(catalog_name))
    stats["seconds"]["total"] = round(time.perf_counter() - started, 3)
    if save and tracking.enabled():  # MLflow, when MARQUEE_MLFLOW_URI is set
        tracking.log_run("search-index", catalog_name, version=manifest["created_at"], params=manifest["parameters"],
                         metrics=stats, data_checksum=catalog.data_checksum, artifact_dir=index_dir(catalog_name))
    log.info("search index for %s: %s", catalog_name, stats)
    return index, stats


def save_index(index: SearchIndex, folder: Path) -> None:
    """Write the index to a staging folder and swap it into place (all or nothing)."""
    import faiss

    with staged_dir(folder) as staging:
        faiss.write_index(index.faiss_index, str(staging / FAISS_FILE))
        table = pa.Table.from_pandas(index.documents.assign(faiss_id=np.arange(len(index), dtype=np.int64)),
                                     preserve_index=False)
        write_parquet_atomic(staging / DOCS_FILE, table)
        index.bm25.save(staging / BM25_FILE)
        names = INDEX_FILES
        if index.has_passages:
            with open(staging / PASSAGES_FILE, "wb") as handle:
                extra = {} if index.passage_hashes is None else {"hashes": np.asarray(index.passage_hashes, dtype=str)}
                np.savez(handle, rows=np.asarray(index.passage_rows, dtype=np.int64),
                         vectors=np.asarray(index.passage_vectors, dtype=np.float32), **extra)
            names = names + (PASSAGES_FILE,)
        manifest = {**index.manifest, "checksums": {name: sha256_file(staging / name) for name in names}}
        write_json_atomic(staging / MANIFEST_FILE, manifest)
    index.manifest = manifest


INDEX_FILES = (FAISS_FILE, DOCS_FILE, BM25_FILE)
OPTIONAL_FILES = (PASSAGES_FILE,)


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = read_json(folder / MANIFEST_FILE)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MarqueeError(f"{folder / MANIFEST_FILE}: not a readable index manifest ({type(exc).__name__}); "
                           "rebuild the index") from None
    if not isinstance(manifest, dict):
        raise MarqueeError(f"{folder / MANIFEST_FILE}: not an index manifest; rebuild the index")
    return manifest


def file_problems(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Index files that are missing, not regular files, or changed since the build (checked
    against the manifest's sha256, cached per file version); an index without checksums
    (built before they were recorded) counts as changed."""
    checksums = manifest.get("checksums")
    if not isinstance(checksums, dict):
        return ["the index was built before file checksums were recorded"]
    problems = []
    for name in INDEX_FILES + tuple(n for n in OPTIONAL_FILES if n in checksums):
        path = folder / name
        if path.is_symlink() or not path.is_file():
            problems.append(f"{name} is missing")
        elif sha256_file_cached(path) != checksums.get(name):
            problems.append(f"{name} changed after the index was built")
    return problems


def load_index(catalog_name: str, folder: Path | None = None) -> SearchIndex:
    import faiss

    folder = folder or index_dir(catalog_name)
    if not (folder / MANIFEST_FILE).exists():
        raise MarqueeError(f"no search index for catalog {catalog_name!r} (looked in {folder}): run "
                           f"`python -m core index build --catalog {catalog_name}` or use Build on the Search page")
    manifest = _read_manifest(folder)
    if problems := file_problems(folder, manifest):
        raise MarqueeError(f"search index of catalog {catalog_name!r}: {'; '.join(problems)}; rebuild it "
                           f"(`python -m core index build --catalog {catalog_name}` or Build on the Search page)")
    faiss_index = faiss.read_index(str(folder / FAISS_FILE))
    documents = pd.read_parquet(folder / DOCS_FILE)
    if len(documents) != faiss_index.ntotal or not (documents["faiss_id"].to_numpy() == np.arange(len(documents))).all():
        raise MarqueeError(f"{folder / DOCS_FILE}: id map does not match {FAISS_FILE} "
                           f"({len(documents)} rows vs {faiss_index.ntotal} vectors); rebuild the index")
    documents = documents.drop(columns="faiss_id")
    for column in ("genres", "cast", "cast_ids", "directors", "director_ids"):
        documents[column] = [list(v) if v is not None else [] for v in documents[column]]
    vectors = faiss_index.reconstruct_n(0, faiss_index.ntotal) if faiss_index.ntotal else np.zeros((0, faiss_index.d), np.float32)
    if (folder / BM25_FILE).exists():
        bm25 = BM25.load(folder / BM25_FILE)
    else:  # an index written before BM25 was saved: refit (a few seconds on 36,000 films)
        bm25 = BM25(**manifest.get("parameters", {}).get("bm25", {})).fit(documents["text"].tolist())
    if bm25.n_docs_ != len(documents):
        raise MarqueeError(f"{folder / BM25_FILE}: {bm25.n_docs_} documents, expected {len(documents)}; rebuild the index")
    passage_vectors = passage_rows = passage_hashes = None
    if PASSAGES_FILE in manifest["checksums"]:
        with np.load(folder / PASSAGES_FILE, allow_pickle=False) as saved:
            passage_rows, passage_vectors = saved["rows"], saved["vectors"]
            passage_hashes = saved["hashes"] if "hashes" in saved.files else None
        if len(passage_rows) != len(passage_vectors) or (len(passage_rows) and (
                passage_rows.min() < 0 or passage_rows.max() >= len(documents) or (np.diff(passage_rows) < 0).any())):
            raise MarqueeError(f"{folder / PASSAGES_FILE}: passage rows do not match the documents; rebuild the index")
    return SearchIndex(documents=documents, vectors=vectors, faiss_index=faiss_index, bm25=bm25, manifest=manifest,
                       passage_vectors=passage_vectors, passage_rows=passage_rows, passage_hashes=passage_hashes)


def _previous_vectors(folder: Path, model_id: str) -> dict[str, np.ndarray]:
    """Hash → vector from an existing index built with the same model (empty when none)."""
    import faiss

    try:
        manifest = read_json(folder / MANIFEST_FILE)
        if manifest.get("parameters", {}).get("model_id") != model_id or file_problems(folder, manifest):
            return {}  # vectors are reused only from an index whose files are as built
        hashes = pd.read_parquet(folder / DOCS_FILE, columns=["hash"])["hash"].tolist()
        faiss_index = faiss.read_index(str(folder / FAISS_FILE))
        if faiss_index.ntotal != len(hashes):
            return {}
        known = dict(zip(hashes, faiss_index.reconstruct_n(0, faiss_index.ntotal)))
        if PASSAGES_FILE in manifest.get("checksums", {}):   # plot passages of the previous index too
            with np.load(folder / PASSAGES_FILE, allow_pickle=False) as saved:
                if "hashes" in saved.files and len(saved["hashes"]) == len(saved["vectors"]):
                    known.update(zip(saved["hashes"].tolist(), saved["vectors"]))
        return known
    except FileNotFoundError:
        return {}
    except Exception as exc:  # a damaged previous index is only a lost cache, never fatal
        log.warning("ignoring unreadable previous search index in %s: %s", folder, exc)
        return {}


def index_status(catalog_name: str, model_path: str | None = None) -> dict[str, Any]:
    """Whether an index exists and matches the catalog's current data and the configured model."""
    from core.catalog import store

    path = index_dir(catalog_name) / MANIFEST_FILE
    if not path.exists():
        return {"exists": False, "fresh": False, "reason": "no index yet"}
    try:
        manifest = _read_manifest(path.parent)
    except MarqueeError:
        return {"exists": True, "fresh": False, "reason": "the index manifest is unreadable", "manifest": {}}
    catalog_checksum = store.read_manifest(catalog_name).get("data_checksum")
    model_id = model_fingerprint(model_path or config.embedding_model_path())
    reasons = file_problems(path.parent, manifest)
    if manifest.get("data_checksum") != catalog_checksum:
        reasons.append("the catalog changed since the index was built")
    if manifest.get("parameters", {}).get("model_id") != model_id:
        reasons.append("the embedding model changed")
    if manifest.get("parameters", {}).get("doc_format_version") != DOC_FORMAT_VERSION:
        reasons.append("the document format changed")
    if bool(manifest.get("parameters", {}).get("bm25", {}).get("stem", False)) != BM25_STEM:
        reasons.append("the BM25 setting changed")
    if manifest.get("parameters", {}).get("passage_words", 0) != PASSAGE_WORDS:
        reasons.append("the plot passage setting changed")
    return {"exists": True, "fresh": not reasons, "reason": "; ".join(reasons), "manifest": manifest}
