"""Monitoring of every model kind in the artifact store: drift detection, promotion rules and
the decision log (champion/challenger), retraining of a simulation's champion, reliability of
classification models read generically from their version folders (``reliability.parquet``),
and the tables and Plotly figures the Monitoring page shows (no Streamlit here).

Monitoring never imports the packages whose models it watches (casting, personal): it reads
the store (``ArtifactStore().current(Slot(kind, catalog[, profile]))``).

Public entry points::

    from core.monitoring import open_simulation, start_simulation, simulate           # monitored runs
    from core.monitoring import check_drift, judge_challenger, record_decision        # rules, any kind
    from core.monitoring import reliability_sources, reliability_summary              # calibration
"""
from core.monitoring.charts import (decisions_frame, drift_heatmap, r2_figure, rmse_figure, rounds_frame,
                                    summary_tiles, trends_figure)
from core.monitoring.drift import DriftPolicy, DriftReport, check_drift, paired_comparison
from core.monitoring.promotion import Decision, judge_challenger, record_decision
from core.monitoring.reliability import (MIN_PER_CLASS, MIN_PREDICTIONS, reliability_figure, reliability_summary,
                                         summaries, summary_frame)
from core.monitoring.retraining import RetrainingReviewer, open_simulation, simulate, start_simulation
from core.monitoring.sources import RELIABILITY_FILE, ReliabilitySource, reliability_sources

__all__ = ["MIN_PER_CLASS", "MIN_PREDICTIONS", "RELIABILITY_FILE", "Decision", "DriftPolicy", "DriftReport",
           "ReliabilitySource", "RetrainingReviewer", "check_drift", "decisions_frame", "drift_heatmap",
           "judge_challenger", "open_simulation", "paired_comparison", "r2_figure", "record_decision",
           "reliability_figure", "reliability_sources", "reliability_summary", "rmse_figure", "rounds_frame",
           "simulate", "start_simulation", "summaries", "summary_frame", "summary_tiles", "trends_figure"]
