"""Typo correction against the catalog's own vocabulary ("jurasic park", "godfathr", "fictoin").

A query word is corrected only when it is unknown to the index's BM25 vocabulary, is at least
``MIN_LENGTH`` letters long, and one edit away (a letter deleted, inserted, replaced, or two
neighbours swapped) from a word whose term occurs in at least ``MIN_DF`` films; among several,
a real word (a whole piece of the encoder's vocabulary) wins, then the term in the most films. No vocabulary copy is kept: the edits of the typed word
(~50 per letter) are stemmed and looked up in the BM25 vocabulary, a few dozen microseconds.

A real word the catalog happens not to contain ("piano" in a catalog without pianos) is left
alone: words that are whole pieces of the encoder's vocabulary (~20k common English words) are
never corrected, so "piano" does not become the rare "pano".

Gibberish ("qnhibbaev xnpzsq") rarely lies one edit from a word that common, and a query whose
words stay unknown is answered "no good match" by the searcher (``engine._unknown_words``);
``MIN_LENGTH`` and ``MIN_DF`` were chosen on the validation typo and nonsense sets of
``benchmarks/bench_search_no_match.py``.
"""
from __future__ import annotations

import string

import numpy as np

MIN_LENGTH = 5
MIN_DF = 1
LETTERS = string.ascii_lowercase


def edits1(word: str) -> set[str]:
    """Every string one delete, transpose, replace or insert away from ``word`` (a-z only)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in LETTERS if c != b[0]]
    inserts = [a + c + b for a, b in splits for c in LETTERS]
    return set(deletes + transposes + replaces + inserts)


class Speller:
    """Corrections for one BM25 model (``BM25`` with ``vocabulary_``, ``matrix_`` and ``terms``)."""

    def __init__(self, bm25, min_length: int | None = None, min_df: int | None = None, words=frozenset()):
        self.bm25 = bm25
        self.words = words   # real words never corrected (the encoder's whole-word pieces: "piano")
        self.min_length = int(MIN_LENGTH if min_length is None else min_length)
        self.min_df = int(MIN_DF if min_df is None else min_df)
        matrix = bm25.matrix_
        self.df = np.diff(matrix.indptr) if matrix.format == "csc" else np.bincount(matrix.indices, minlength=matrix.shape[1])
        self._stem = getattr(bm25, "_stem", None)
        self._memo: dict[str, str | None] = {}

    def _key(self, words: list[str]) -> list[str]:
        return self._stem(words) if self._stem else words

    def known(self, word: str) -> bool:
        return self._key([word])[0] in self.bm25.vocabulary_

    def correct(self, word: str) -> str | None:
        """The correction of one folded word, or None (known, too short, not letters, no match)."""
        if word in self._memo:
            return self._memo[word]
        best = None
        if len(word) >= self.min_length and word.isascii() and word.isalpha() and word not in self.words \
                and not self.known(word):
            variants = sorted(edits1(word))
            keys = self._key(variants)
            vocabulary, best_key = self.bm25.vocabulary_, None
            for variant, key in zip(variants, keys):
                column = vocabulary.get(key)
                if column is None or self.df[column] < self.min_df:
                    continue
                # a real word first ("detective", not "detecte" of the same stem), then the most films
                rank = (variant in self.words, int(self.df[column]))
                if best_key is None or rank > best_key:
                    best, best_key = variant, rank
        if len(self._memo) > 10_000:
            self._memo.clear()
        self._memo[word] = best
        return best

    def corrections(self, words: list[str]) -> dict[str, str]:
        """{typed word: correction} for the words of ``words`` that get one."""
        out = {}
        for word in dict.fromkeys(words):
            fixed = self.correct(word)
            if fixed:
                out[word] = fixed
        return out
