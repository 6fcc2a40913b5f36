"""Batch embedding on Spark: same vectors as the local encoder on 1,000 real documents, filed in
the shared cache under the same (model, content hash) keys, so the local build reuses them."""
from __future__ import annotations

import numpy as np
import pytest

N_DOCS = 1_000
# Spark tasks batch the texts differently from one local call (other padding lengths inside a
# batch); MiniLM's vectors then differ by float32 rounding only.
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def wiki_slice(wikipedia_catalog, tmp_path_factory):
    """A 1,000-film catalog cut from the Wikipedia import (seeded sample, every decade)."""
    from core.catalog import store

    name = "spark_wiki_slice"
    if not store.exists(name):
        movies = wikipedia_catalog.movies.sample(N_DOCS, random_state=7)
        credits = wikipedia_catalog.credits[wikipedia_catalog.credits["movie_id"].isin(movies["movie_id"])]
        people = wikipedia_catalog.people[wikipedia_catalog.people["person_id"].isin(credits["person_id"])]
        store.write_catalog(name, {"movies": movies, "credits": credits, "people": people},
                            source="wikipedia", parameters={"slice": f"{N_DOCS} films, random_state=7"})
    return store.load_catalog(name)


@pytest.fixture(scope="module")
def spark_build(wiki_slice, spark, tmp_path_factory):
    """``index build --engine spark`` on the slice, with an empty cache of its own."""
    import os

    from core.cli import main

    cache = tmp_path_factory.mktemp("embedding-cache")
    previous = os.environ.get("MARQUEE_EMBEDDING_CACHE")
    os.environ["MARQUEE_EMBEDDING_CACHE"] = str(cache)
    try:
        assert main(["index", "build", "--catalog", wiki_slice.name, "--engine", "spark", "--json"]) == 0
        yield cache
    finally:
        if previous is None:
            os.environ.pop("MARQUEE_EMBEDDING_CACHE", None)
        else:
            os.environ["MARQUEE_EMBEDDING_CACHE"] = previous


def test_spark_vectors_equal_local_ones_on_1000_documents(spark_build, wiki_slice):
    from core.search.documents import build_documents
    from core.search.embeddings import EmbeddingCache, Encoder

    documents = build_documents(wiki_slice).drop_duplicates("hash")
    assert len(documents) >= 990
    encoder = Encoder()
    cached = EmbeddingCache(encoder.model_id, encoder.dim, root=spark_build).get(documents["hash"].tolist())
    assert len(cached) == len(documents)  # every document filed under the local (model, hash) key
    spark_vectors = np.vstack([cached[h] for h in documents["hash"]])
    local_vectors = encoder.encode(documents["text"].tolist())
    assert np.abs(spark_vectors - local_vectors).max() <= TOLERANCE
    assert np.allclose(np.linalg.norm(spark_vectors, axis=1), 1.0, atol=1e-5)


def test_local_build_after_spark_embeds_nothing(spark_build, wiki_slice, monkeypatch):
    from core.search import build_index, load_index

    monkeypatch.setenv("MARQUEE_EMBEDDING_CACHE", str(spark_build))
    index = load_index(wiki_slice.name)  # written by the Spark build
    assert len(index) == len(wiki_slice.movies)
    _, stats = build_index(wiki_slice.name)
    assert stats["embedded"] == 0 and stats["from_cache"] >= 990


def test_a_worker_with_another_model_refuses_to_file_vectors(spark):
    from core.errors import MarqueeError
    from core.search.embeddings import Encoder
    from core.spark import embed_texts

    encoder = Encoder()
    with pytest.raises(MarqueeError, match="differs from the driver"):
        embed_texts(spark, ["h1"], ["a film"], encoder.model_path, model_id="some-other-model-000000000000")
