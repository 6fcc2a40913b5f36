"""Okapi BM25 as a sparse matrix: documents × terms holding each term's final BM25 weight.

A query's scores are the sum of a few matrix columns, so scoring 36,000 films costs a handful of
sparse column reads instead of a Python loop over every document (what ``rank_bm25`` does); see
``benchmarks/bench_search.py`` for the comparison. IDF is the Lucene form
``log(1 + (N - df + 0.5) / (df + 0.5))``, always positive.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from core.search.text import terms


def _stemmer():
    import Stemmer  # PyStemmer (Snowball); only needed when stemming is on

    return Stemmer.Stemmer("english")


class BM25:
    """``fit(texts)`` then ``scores(query)``; learned state ends in ``_``. ``stem=True`` reduces
    terms to their English Snowball stems ("heists" -> "heist") on both sides."""

    def __init__(self, k1: float = 1.2, b: float = 0.75, stem: bool = False):
        self.k1 = k1
        self.b = b
        self.stem = bool(stem)
        self._stem = _stemmer().stemWords if self.stem else None

    def terms(self, text: str) -> list[str]:
        words = terms(text)
        return self._stem(words) if self._stem and words else words

    def fit(self, texts: list[str]) -> "BM25":
        vocabulary: dict[str, int] = {}
        rows, cols, counts = [], [], []
        for row, text in enumerate(texts):
            for term, count in Counter(self.terms(text)).items():
                rows.append(row)
                cols.append(vocabulary.setdefault(term, len(vocabulary)))
                counts.append(count)
        n_docs = len(texts)
        tf = sp.csr_matrix((np.asarray(counts, dtype=np.float32), (rows, cols)),
                           shape=(n_docs, max(len(vocabulary), 1)))
        length = np.asarray(tf.sum(axis=1)).ravel()
        average = float(length.mean()) if n_docs and length.mean() > 0 else 1.0
        df = np.bincount(tf.indices, minlength=tf.shape[1])
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = (self.k1 * (1 - self.b + self.b * length / average)).astype(np.float32)
        weights = tf.copy()
        row_of = np.repeat(np.arange(n_docs), np.diff(tf.indptr))
        weights.data = idf[tf.indices] * tf.data * (self.k1 + 1) / (tf.data + norm[row_of])
        self.vocabulary_ = vocabulary
        self.idf_ = idf
        self.matrix_ = weights.tocsc()
        self.n_docs_ = n_docs
        return self

    def save(self, path: Path) -> None:
        """Everything in one ``.npz`` (plain arrays, the vocabulary as a unicode array: no pickle)."""
        vocabulary = np.array(sorted(self.vocabulary_, key=self.vocabulary_.get), dtype=str)
        with open(path, "wb") as handle:
            np.savez(handle, data=self.matrix_.data, indices=self.matrix_.indices, indptr=self.matrix_.indptr,
                     shape=np.array(self.matrix_.shape), idf=self.idf_, vocabulary=vocabulary,
                     params=np.array([self.k1, self.b, float(self.stem)]))

    @classmethod
    def load(cls, path: Path) -> "BM25":
        with np.load(path, allow_pickle=False) as saved:
            values = saved["params"].tolist()
            model = cls(k1=values[0], b=values[1], stem=bool(values[2]) if len(values) > 2 else False)
            model.matrix_ = sp.csc_matrix((saved["data"], saved["indices"], saved["indptr"]),
                                          shape=tuple(saved["shape"].tolist()))
            model.idf_ = saved["idf"]
            model.vocabulary_ = {term: i for i, term in enumerate(saved["vocabulary"].tolist())}
        model.n_docs_ = model.matrix_.shape[0]
        return model

    def query_terms(self, query: str) -> list[str]:
        """The query's words whose term occurs in the corpus (order kept, repeats removed; the
        words as typed, not their stems)."""
        words = terms(query)
        keys = self._stem(words) if self._stem and words else words
        return list(dict.fromkeys(w for w, t in zip(words, keys) if t in self.vocabulary_))

    def upper_bound(self, query: str) -> float:
        """The score of a typical full match of ``query``: every term once in a document of
        average length, which BM25 scores at exactly its ``idf``. A term no document has counts at
        the highest possible idf. ``min(1, scores / upper_bound)`` is then in [0, 1] and comparable
        across queries (the share of the query's term weight a document matches; unknown words
        lower it); 0 for a query without terms."""
        unknown_idf = float(np.log1p((self.n_docs_ + 0.5) / 0.5))
        return float(sum(self.idf_[self.vocabulary_[t]] if t in self.vocabulary_ else unknown_idf
                         for t in self.terms(query)))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (zeros when no term is known)."""
        counts = Counter(t for t in self.terms(query) if t in self.vocabulary_)
        if not counts:
            return np.zeros(self.n_docs_, dtype=np.float32)
        columns = [self.vocabulary_[t] for t in counts]
        repeat = np.fromiter(counts.values(), dtype=np.float32)
        return np.asarray(self.matrix_[:, columns] @ repeat).ravel()


FIELDS = ("title", "plot", "people", "labels")


def field_texts(documents) -> dict[str, list[str]]:
    """The texts of each field of search documents: title, plot (overview), people (cast and
    directors), labels (genres and language name)."""
    from core.search import languages

    return {
        "title": documents["title"].astype(str).tolist(),
        "plot": documents["overview"].astype(str).tolist(),
        "people": [" ".join([*c, *d]) for c, d in zip(documents["cast"], documents["directors"])],
        "labels": [" ".join([*g, languages.name(l)]) for g, l in zip(documents["genres"], documents["language"])],
    }


class FieldedBM25:
    """One BM25 per field (own length normalisation and idf), summed with field weights:
    ``score = Σ_f w_f · bm25_f``. ``upper_bound`` is, per query term, the best ``w_f · idf_f`` over
    the fields (a typical one-field match), so ``scores / upper_bound`` is again a bounded share."""

    def __init__(self, weights: dict[str, float] | None = None, k1: float = 1.2, b: float = 0.75, stem: bool = False):
        self.weights = dict(weights or {"title": 0.5, "plot": 1.0, "people": 1.0, "labels": 0.5})
        self.k1, self.b, self.stem = k1, b, stem

    def fit_documents(self, documents) -> "FieldedBM25":
        texts = field_texts(documents)
        self.fields_ = {f: BM25(self.k1, self.b, self.stem).fit(texts[f]) for f in self.weights}
        self.n_docs_ = len(documents)
        return self

    def query_terms(self, query: str) -> list[str]:
        seen: dict[str, None] = {}
        for model in self.fields_.values():
            seen.update(dict.fromkeys(model.query_terms(query)))
        words = terms(query)
        return [w for w in words if w in seen] if seen else []

    def scores(self, query: str) -> np.ndarray:
        total = np.zeros(self.n_docs_, dtype=np.float32)
        for field, model in self.fields_.items():
            if self.weights[field]:
                total += self.weights[field] * model.scores(query)
        return total

    def upper_bound(self, query: str) -> float:
        any_model = next(iter(self.fields_.values()))
        unknown_idf = float(np.log1p((self.n_docs_ + 0.5) / 0.5))
        bound = 0.0
        for term in any_model.terms(query):
            best = max((self.weights[f] * (float(m.idf_[m.vocabulary_[term]]) if term in m.vocabulary_ else 0.0)
                        for f, m in self.fields_.items()), default=0.0)
            bound += best if best > 0 else max(self.weights.values()) * unknown_idf
        return bound
