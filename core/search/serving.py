"""The searcher a page, the API or the CLI serves: the catalog's index, the encoder and the
catalog's trained re-ranker when one was trained for this index (``core.search.learned``)."""
from __future__ import annotations

from core.search.engine import Searcher
from core.search.index import load_index
from core.search.learned import load_reranker


def load_searcher(catalog: str, encoder, cross_encoder=None):
    """The catalog's searcher with its trained re-ranker, when there is one for this index."""
    searcher = Searcher(load_index(catalog), encoder, cross_encoder)
    searcher.reranker = load_reranker(catalog, searcher)
    if searcher.reranker is not None:
        searcher.fielded_bm25   # fitted now (seconds on 36k films), not during the first query
        searcher.title_terms
    return searcher
