"""``python -m core index build --engine spark``: embed on Spark, assemble the index as usual.

The catalog's search documents are built as the local build builds them; every document whose
content hash the embedding cache lacks for the configured model is embedded on Spark
(:mod:`core.spark.embed`) and added to that cache; then the ordinary local build runs, finds every
vector cached, and writes the FAISS + BM25 index. A later local build, or a later Spark build
after a catalog change, embeds only what is new.
"""
from __future__ import annotations

from typing import Any

from core import config
from core.progress import ProgressFn, null_progress
from core.spark.embed import CHUNK_DOCS, embed_missing


def build_index_spark(catalog_name: str, spark=None, progress: ProgressFn | None = None,
                      chunk_docs: int = CHUNK_DOCS) -> tuple[Any, dict[str, Any]]:
    """Build (incrementally) and save a catalog's search index with the embedding done by Spark."""
    import pandas as pd

    from core.catalog import store
    from core.search import build_index
    from core.search.documents import PASSAGE_WORDS, build_documents, passages
    from core.search.embeddings import EmbeddingCache, Encoder

    progress = progress or null_progress
    if spark is None:
        from core.spark.session import get_session

        spark = get_session()
    catalog = store.load_catalog(catalog_name, verify=False, tables=("movies", "people", "credits"))
    documents = build_documents(catalog)
    encoder = Encoder(config.embedding_model_path())
    cache = EmbeddingCache(encoder.model_id, encoder.dim)
    # plot passages (documents.passages, when on) are embedded on Spark with the documents
    texts = pd.concat([documents[["hash", "text"]], passages(documents, PASSAGE_WORDS)[["hash", "text"]]],
                      ignore_index=True)
    spark_stats = embed_missing(spark, texts, cache, encoder.model_path, encoder.model_id,
                                progress=progress, chunk_docs=chunk_docs)
    index, stats = build_index(catalog_name, encoder=encoder, progress=progress, cache=cache)
    return index, {**stats, "engine": "spark", "spark": spark_stats}
