"""Cross-encoder reranking for the ``ce`` method.

A cross-encoder reads (query, document) pairs together and scores each pair; it is slower than
the bi-encoder, so it only reorders the top ``depth`` candidates of the hybrid ranking. The model
must be on disk (``MARQUEE_CROSS_ENCODER``): nothing is downloaded at run time.
"""
from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

from core import config
from core.errors import MarqueeError

NOT_CONFIGURED = (
    "The 'ce' method reranks the top hybrid results with a cross-encoder, and none is configured. "
    "Download a sentence-transformers CrossEncoder (for example cross-encoder/ms-marco-MiniLM-L-6-v2) "
    "to a local folder on a machine with internet access, then set MARQUEE_CROSS_ENCODER to that folder "
    "and restart. Until then use 'hybrid'."
)


class PairScorer(Protocol):
    def predict(self, pairs: list[tuple[str, str]]) -> Sequence[float]: ...


def load_cross_encoder(path: str | None = None) -> PairScorer:
    """The configured cross-encoder, or a ``MarqueeError`` saying what is needed."""
    path = path or config.cross_encoder_path()
    if not path:
        raise MarqueeError(NOT_CONFIGURED)
    from sentence_transformers import CrossEncoder

    try:
        return CrossEncoder(path, device="cpu")
    except Exception as exc:  # missing folder, wrong model type, offline hub lookups…
        raise MarqueeError(f"cannot load the cross-encoder from MARQUEE_CROSS_ENCODER={path!r} ({exc}); "
                           "it must be a local sentence-transformers CrossEncoder folder") from None


def rerank(query: str, texts: Sequence[str], scorer: PairScorer, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Reorder the first ``depth`` texts by ``scorer``; the rest keep their order after them.

    Returns positions into ``texts`` in the new order and the cross-encoder scores of the
    reranked head (``nan`` for the untouched tail).
    """
    depth = min(depth, len(texts))
    head = np.asarray(scorer.predict([(query, t) for t in texts[:depth]]), dtype=np.float64).reshape(-1)
    if len(head) != depth:
        raise MarqueeError(f"the cross-encoder returned {len(head)} scores for {depth} pairs")
    order = np.argsort(-head, kind="stable")
    positions = np.concatenate([order, np.arange(depth, len(texts))]).astype(np.int64)
    scores = np.concatenate([head[order], np.full(len(texts) - depth, np.nan)])
    return positions, scores
