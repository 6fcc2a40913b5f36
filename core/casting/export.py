"""Brief exports: slate, alternates, reason codes and comparables as CSV, a manifest, the model card."""
from __future__ import annotations

import json
from pathlib import Path

from core.casting.artifacts import model_version
from core.casting.plots import figures_html, model_figures, model_notes
from core.casting.serving import BriefResult
from core.casting.trained import TrainedCasting
from core.io import atomic_path, build_manifest


def brief_manifest(result: BriefResult, trained: TrainedCasting) -> dict:
    saved = trained.extra.get("manifest", {})
    return build_manifest(
        "casting-brief", result.brief.to_dict(), data_checksum=trained.data_checksum,
        extra_versions=("scikit-learn",), catalog=trained.catalog_name, flags=result.flags,
        model_version=model_version(trained.config.training_key(), trained.data_checksum, trained.feature_names),
        model_trained_at=saved.get("created_at"), model_parameters=trained.config.to_dict(),
        holdout_metrics={k: trained.metrics[k] for k in ("auroc", "pr_auc", "brier", "ece", "n_rows", "years")},
        timings={k: round(v, 4) for k, v in result.timings.items()},
        files=["slate.csv", "alternates.csv", "reasons.csv", "comparables.csv", "model_card.html"])


BRIEF_FILE_NAMES = ("slate.csv", "alternates.csv", "reasons.csv", "comparables.csv", "manifest.json")


def brief_files(result: BriefResult, trained: TrainedCasting, with_plots: bool = True) -> dict[str, bytes]:
    """Every export as bytes, keyed by file name (``BRIEF_FILE_NAMES``, plus ``model_card.html`` with
    the plots; the page offers each as a download)."""
    files = {
        "slate.csv": result.slate.to_csv(index=False).encode("utf-8"),
        "alternates.csv": result.alternates.to_csv(index=False).encode("utf-8"),
        "reasons.csv": result.reasons.to_csv(index=False).encode("utf-8"),
        "comparables.csv": result.comparables.to_csv(index=False).encode("utf-8"),
        "manifest.json": (json.dumps(brief_manifest(result, trained), indent=2, default=str) + "\n").encode("utf-8"),
    }
    if with_plots:
        files["model_card.html"] = model_card_html(trained).encode("utf-8")
    return files


def model_card_html(trained: TrainedCasting) -> str:
    return figures_html(model_figures(trained), f"Casting model card: catalog {trained.catalog_name}",
                        model_notes(trained))


def write_brief_exports(result: BriefResult, trained: TrainedCasting, out_dir: Path) -> list[Path]:
    """Write every export into ``out_dir`` (each file atomically)."""
    out_dir = Path(out_dir)
    written = []
    for name, payload in brief_files(result, trained).items():
        with atomic_path(out_dir / name) as tmp:
            tmp.write_bytes(payload)
            tmp.chmod(0o644)  # exports are for people to open and share, not private temp files
        written.append(out_dir / name)
    return written
