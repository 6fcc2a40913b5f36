"""Plot passages, the per-chunk embedding cache during a build, and the encoder in the cache key.

A bag-of-words test encoder stands in for the model (no torch, milliseconds)."""
from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pytest

from core.errors import MarqueeError
from core.progress import Cancelled
from core.search import index as search_index
from core.search.documents import COLUMNS, content_hash, passages, plot_windows
from core.search.embeddings import EmbeddingCache
from core.search.engine import Searcher, SearchParams
from core.search.index import assemble_index, embed_passages, embed_texts, load_index, save_index
from core.search.text import tokens


class BagOfWords:
    def __init__(self, model_id="bow-test", dim=256):
        self.model_id, self.dim, self.model_path = model_id, dim, model_id
        self.calls: list[list[str]] = []

    def encode(self, texts, progress=None):
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokens(text):
                out[row, zlib.crc32(token.encode()) % self.dim] += 1.0
            out[row] /= max(np.linalg.norm(out[row]), 1e-12)
            if progress:
                progress(row + 1, len(texts), "embedding")
        return out

    def encode_query(self, text):
        return self.encode([text])[0]


LONG_PLOT = ("A retired chef opens a small bistro in Lyon. His estranged daughter arrives with a newborn. "
             "They argue about the old family recipes. Years later a storm floods the harbour town. "
             "The lighthouse keeper rescues a drowning cellist from the wrecked ferry.")


def _docs() -> pd.DataFrame:
    rows = []
    plots = [LONG_PLOT, "A detective hunts a jewel thief across Paris.", "Two astronauts repair a broken station."]
    for i, plot in enumerate(plots):
        text = f"Film {i} (2001) · Drama · {plot}"
        rows.append({"movie_id": i + 1, "title": f"Film {i}", "year": 2001, "language": "en", "genres": ["Drama"],
                     "overview": plot, "cast": [], "cast_ids": [], "directors": [], "director_ids": [],
                     "popularity": float(i), "vote_count": 10.0, "vote_average": 6.0, "poster_url": "",
                     "text": text, "hash": content_hash(text)})
    docs = pd.DataFrame(rows)[COLUMNS]
    docs["year"] = docs["year"].astype("Int64")
    return docs


def test_plot_windows_keep_whole_sentences_and_skip_short_plots():
    windows = plot_windows(LONG_PLOT, 20)
    assert len(windows) >= 2 and " ".join(windows) == " ".join(LONG_PLOT.split())
    assert all(len(w.split()) <= 20 for w in windows)
    assert all(w.endswith(".") for w in windows)                 # cut between sentences only
    assert plot_windows("Short plot. Two sentences.", 20) == []  # fits in one: the document covers it
    assert plot_windows(LONG_PLOT, 0) == []                       # 0 = passages off


def test_passages_carry_the_title_and_their_own_hash():
    table = passages(_docs(), 20)
    assert set(table["row"]) == {0}                              # only the long plot is split
    assert all(t.startswith("Film 0 (2001) · Drama · ") for t in table["text"])
    assert table["hash"].is_unique and not set(table["hash"]) & set(_docs()["hash"])


def test_a_film_is_scored_by_its_best_passage(tmp_path, monkeypatch):
    monkeypatch.setenv("MARQUEE_EMBEDDING_CACHE", str(tmp_path / "cache"))
    docs, encoder = _docs(), BagOfWords()
    vectors = encoder.encode(docs["text"].tolist())
    pv, pr, counts = embed_passages(docs, encoder, 20)
    assert counts["passages"] == len(pr) >= 2
    plain = assemble_index(docs, vectors)
    pooled = assemble_index(docs, vectors, passage_vectors=pv, passage_rows=pr)
    query = encoder.encode_query("lighthouse keeper rescues a drowning cellist wrecked ferry")
    film = pooled.film_cosines(query)
    assert film[0] == pytest.approx(float((pv @ query).max())) and film[0] > float(vectors[0] @ query)
    assert np.allclose(film[1:], vectors[1:] @ query)            # films without passages: their document
    assert np.allclose(plain.film_cosines(query), vectors @ query)
    hit = Searcher(pooled, encoder).search("lighthouse keeper rescues a drowning cellist", SearchParams(method="retrieval"))
    assert hit.hits[0].movie_id == 1 and 0.0 <= hit.hits[0].score <= 1.0


def test_index_with_passages_saves_loads_and_refuses_an_edited_passage_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MARQUEE_EMBEDDING_CACHE", str(tmp_path / "cache"))
    docs, encoder = _docs(), BagOfWords()
    pv, pr, _ = embed_passages(docs, encoder, 20)
    index = assemble_index(docs, encoder.encode(docs["text"].tolist()), {"parameters": {}}, passage_vectors=pv,
                           passage_rows=pr)
    folder = tmp_path / "idx"
    save_index(index, folder)
    loaded = load_index("t", folder)
    assert np.array_equal(loaded.passage_rows, pr) and np.allclose(loaded.passage_vectors, pv)
    query = encoder.encode_query("storm floods the harbour town")
    assert np.allclose(loaded.film_cosines(query), index.film_cosines(query))
    # with their hashes saved, the next build reuses the passage vectors even without a cache
    table = passages(docs, 20)
    index.passage_hashes = np.asarray(table["hash"].tolist(), dtype=str)
    index.manifest = {"parameters": {"model_id": encoder.model_id}}
    save_index(index, folder)
    previous = search_index._previous_vectors(folder, encoder.model_id)
    assert set(table["hash"]) <= set(previous) and set(docs["hash"]) <= set(previous)
    again = BagOfWords()
    _, _, counts = embed_passages(docs, again, 20, cache=EmbeddingCache("bow-test", 256, tmp_path / "empty"),
                                  previous=previous)
    assert counts["passages_embedded"] == 0 and again.calls == []
    assert search_index._previous_vectors(folder, "another-model") == {}
    with np.load(folder / search_index.PASSAGES_FILE) as saved:
        data = dict(saved)
    data["vectors"] = data["vectors"] * 0.5
    with open(folder / search_index.PASSAGES_FILE, "wb") as handle:
        np.savez(handle, **data)
    with pytest.raises(MarqueeError, match="passages.npz changed"):
        load_index("t", folder)
    # an index saved without passages has no passage file and loads as before
    save_index(assemble_index(docs, encoder.encode(docs["text"].tolist()), {"parameters": {}}), folder)
    assert not (folder / search_index.PASSAGES_FILE).exists() and not load_index("t", folder).has_passages


def test_a_cancelled_build_keeps_what_it_embedded_and_resumes_from_it(tmp_path, monkeypatch):
    """Vectors reach the cache chunk by chunk: cancelling in the third chunk keeps the first two,
    and the next build embeds only the rest."""
    monkeypatch.setattr(search_index, "SAVE_EVERY", 4)
    texts = [f"film number {i} about topic {i % 3}" for i in range(10)]
    hashes = [content_hash(t) for t in texts]
    encoder = BagOfWords()

    def cancel_in_third_chunk(done, total, message=""):
        if message == "embedding" and done > 8:
            raise Cancelled("cancelled")

    with pytest.raises(Cancelled):
        embed_texts(hashes, texts, encoder, cancel_in_third_chunk, EmbeddingCache("bow-test", 256, tmp_path))
    on_disk = EmbeddingCache("bow-test", 256, tmp_path).get(hashes)   # a fresh reader: what the disk holds
    assert set(on_disk) == set(hashes[:8])
    resumed = BagOfWords()
    vectors, counts = embed_texts(hashes, texts, resumed, None, EmbeddingCache("bow-test", 256, tmp_path))
    assert counts == {"embedded": 2, "from_cache": 8, "from_previous_index": 0}
    assert [t for call in resumed.calls for t in call] == texts[8:]
    assert np.allclose(vectors, BagOfWords().encode(texts))


def test_the_encoder_is_part_of_the_cache_key(tmp_path):
    """Vectors of one encoder are never served to another (same texts, same cache folder)."""
    texts = ["a heist in a casino", "a dog on a train"]
    hashes = [content_hash(t) for t in texts]
    first, second = BagOfWords("encoder-a", 256), BagOfWords("encoder-b", 256)
    embed_texts(hashes, texts, first, None, EmbeddingCache(first.model_id, first.dim, tmp_path))
    _, counts = embed_texts(hashes, texts, second, None, EmbeddingCache(second.model_id, second.dim, tmp_path))
    assert counts["embedded"] == 2 and counts["from_cache"] == 0
    _, again = embed_texts(hashes, texts, BagOfWords("encoder-a", 256), None, EmbeddingCache("encoder-a", 256, tmp_path))
    assert again == {"embedded": 0, "from_cache": 2, "from_previous_index": 0}
    # a different dimension under the same name is not read either (no silent mix of shapes)
    _, other_dim = embed_texts(hashes, texts, BagOfWords("encoder-a", 128), None, EmbeddingCache("encoder-a", 128, tmp_path))
    assert other_dim["embedded"] == 2


def test_pseudo_relevance_feedback_keeps_scores_bounded_and_checks_its_knobs():
    docs, encoder = _docs(), BagOfWords()
    searcher = Searcher(assemble_index(docs, encoder.encode(docs["text"].tolist())), encoder)
    plain = searcher.search("jewel thief in Paris", SearchParams(method="hybrid"))
    fed = searcher.search("jewel thief in Paris", SearchParams(method="hybrid", prf_docs=2, prf_weight=0.5))
    assert fed.hits[0].movie_id == plain.hits[0].movie_id == 2
    assert all(0.0 <= h.score <= 1.0 for h in fed.hits)
    for bad in (dict(prf_docs=-1), dict(prf_docs=51), dict(prf_weight=1.5)):
        with pytest.raises(MarqueeError):
            SearchParams(**bad).validate()
