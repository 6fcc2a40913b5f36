"""A cheaper dense side (issue 13 build time): fewer word pieces to encode, the passage gain kept?

Variants of what the encoder reads per film:

* ``today``: the whole document (title, year, genres, language, plot, people) + 40-word plot
  passages of plots longer than 40 words (each prefixed "title (year) · genres · ");
* ``header+pN``: a short header document (the same without the plot, ``documents.header_text``)
  + N-word passages of **every** plot (a short plot is one passage), prefixed; the film's dense
  similarity is its best passage (the header counts as one);
* ``header+pN-bare``: the same, passages without the prefix.

``--stage count``: word pieces encoded by a full build of the 36k Wikipedia catalog (tokenizer
only, exact, ``min(pieces, max_seq_length)`` per text), and the estimated quiet build seconds by
the pieces ratio to today's documents-only 558 s build.

``--stage validate --variants ...``: validation MRR@10 / recall@10 of the default hybrid (no
re-ranker) on the 1990s slice of ``bench_search_quality.py`` for each variant (validation queries
only); embeddings go through the quality bench's embedding cache. Encoder texts/s on the slice's
new texts is recorded with the load.

    python benchmarks/bench_search_dense_side.py --stage count
    python benchmarks/bench_search_dense_side.py --stage validate --queries /tmp/search-eval-queries.json --variants today header+p40
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
DOCUMENTS_ONLY_SECONDS = 558.0      # today's documents-only full build on a quiet machine (issue 13)
VARIANTS = ("today", "header+p40", "header+p40-bare", "header+p60", "header+p80", "header+p80-bare")


def texts_of(documents, variant: str):
    """(document texts, passages table) a build of ``variant`` encodes."""
    from core.search.documents import PASSAGE_WORDS, header_text, passages

    if variant == "today":
        return documents["text"].tolist(), passages(documents, PASSAGE_WORDS)
    match = re.fullmatch(r"header\+p(\d+)(-bare)?", variant)
    if not match:
        raise SystemExit(f"unknown variant {variant!r}")
    headers = [header_text(*row) for row in zip(documents["title"], documents["year"], documents["genres"],
                                                documents["language"], documents["cast"], documents["directors"])]
    return headers, passages(documents, int(match.group(1)), every_plot=True, prefix=not match.group(2))


def stage_count(args, report) -> None:
    from bench_search import _setup_env, import_catalog

    _setup_env(args.work)
    from core.catalog import store
    from core.search.documents import build_documents
    from core.search.embeddings import Encoder

    import_catalog(args.shared_data)
    documents = build_documents(store.load_catalog("wiki", verify=False, tables=("movies", "people", "credits")))
    encoder = Encoder()
    tokenizer, limit = encoder.model.tokenizer, int(encoder.model.max_seq_length)

    def encoded(texts) -> int:
        ids = tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
        return int(np.minimum([len(i) for i in ids], limit).sum())

    counts = {}
    docs_only = encoded(documents["text"])
    for variant in VARIANTS:
        docs, table = texts_of(documents, variant)
        pieces = encoded(docs) + (encoded(table["text"]) if len(table) else 0)
        counts[variant] = {"texts": len(docs) + len(table), "pieces": pieces,
                           "estimated quiet build seconds": round(DOCUMENTS_ONLY_SECONDS * pieces / docs_only)}
        print(variant, counts[variant], flush=True)
    report["count (36k Wikipedia, exact)"] = {"films": len(documents), "documents-only pieces": docs_only,
                                              "variants": counts}


def stage_validate(args, report) -> None:
    import bench_search_quality as quality

    quality.setup_env()
    from core.search.engine import Searcher, SearchParams
    from core.search.embeddings import EmbeddingCache, Encoder
    from core.search.index import assemble_index, embed_texts, load_index

    encoder = quality.MemoEncoder(Encoder(), args.memo)
    base = load_index(args.catalog)
    documents = base.documents
    items = json.loads(args.queries.read_text())
    rng = np.random.default_rng(0)   # the same validation sample as the quality bench --per-kind
    val = []
    chunk = [i for i in items if i["split"] == "validation"]
    for kind in sorted({i["kind"] for i in chunk}):
        of_kind = [i for i in chunk if i["kind"] == kind]
        val += [of_kind[j] for j in sorted(rng.permutation(len(of_kind))[:args.per_kind])]
    out = report.setdefault("validate (1990s slice, validation queries only)", {})
    cache = EmbeddingCache(encoder.model_id, encoder.dim)
    from core.search.documents import content_hash

    for variant in args.variants:
        docs, table = texts_of(documents, variant)
        hashes = documents["hash"].tolist() if variant == "today" else [content_hash("header\x1f" + t) for t in docs]
        load, started = os.getloadavg()[0], time.perf_counter()
        vectors, counts = embed_texts(hashes, docs, encoder.inner, cache=cache)
        pv, pc = embed_texts(table["hash"].tolist(), table["text"].tolist(), encoder.inner, cache=cache)
        seconds = time.perf_counter() - started
        index = assemble_index(documents, vectors, dict(base.manifest), passage_vectors=pv,
                               passage_rows=table["row"].to_numpy(dtype=np.int64), stem=True)
        searcher = Searcher(index, encoder)
        ranks = []
        for item in val:
            hits = searcher.search(item["query"], SearchParams(k=10, min_score=0.0, learned_rerank=False)).hits
            ids = [h.movie_id for h in hits]
            ranks.append(ids.index(int(item["movie_id"])) + 1 if int(item["movie_id"]) in ids else None)
        embedded = counts["embedded"] + pc["embedded"]
        out[variant] = {**quality.metrics(ranks), "texts": len(docs) + len(table), "embedded_now": embedded,
                        "embed_seconds": round(seconds, 1), "load_1min_at_start": round(load, 1),
                        "texts_per_second": round(embedded / seconds, 1) if embedded else None}
        print(variant, out[variant], flush=True)
    encoder.save()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=("count", "validate"), required=True)
    parser.add_argument("--work", type=Path, default=Path("~/.cache/marquee-bench-search").expanduser())
    parser.add_argument("--shared-data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--queries", type=Path)
    parser.add_argument("--catalog", default="wiki1990s")
    parser.add_argument("--per-kind", type=int, default=150)
    parser.add_argument("--variants", nargs="+", default=["today", "header+p40"])
    parser.add_argument("--memo", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "search_dense_side.json")
    args = parser.parse_args()
    report = json.loads(args.out.read_text()) if args.out.exists() else {}
    report.setdefault("machine", {})[args.stage] = {"cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 1)}
    (stage_count if args.stage == "count" else stage_validate)(args, report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
