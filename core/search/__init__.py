"""Film search: documents from the catalog, dense (FAISS) + BM25 retrieval, fusion, rerankers,
language and entity intent, explanations and a known-item evaluation."""
from core.search.engine import METHODS, LANGUAGE_POLICIES, Filters, Hit, SearchParams, SearchResponse, Searcher
from core.search.embeddings import Encoder
from core.search.index import SearchIndex, build_index, index_dir, index_status, load_index
from core.search.languages import name as language_name
from core.search.learned import reranker_version
from core.search.serving import load_searcher

__all__ = ["METHODS", "LANGUAGE_POLICIES", "Filters", "Hit", "SearchParams", "SearchResponse", "Searcher",
           "SearchIndex", "build_index", "index_dir", "index_status", "load_index", "Encoder", "language_name",
           "load_searcher", "reranker_version"]
