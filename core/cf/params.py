"""Named hyper-parameter sets of the recommender (where the champion configuration lives)."""
from __future__ import annotations

from typing import Any

# The champion configuration, chosen on MovieLens 100K (benchmarks/bench_cf.py re-runs the grid
# around it; figures in benchmarks/results/cf.json): a 50-factor SVD with strong factor and light
# bias regularisation, averaged over five seeds. Surprise's default SVD is the "svd" row.
CHAMPION_PARAMS: dict[str, Any] = {"n_factors": 50, "n_epochs": 60, "lr_all": 0.007, "reg_all": 0.08,
                                   "reg_bias": 0.02, "init_std_dev": 0.05, "n_bags": 5}
# A lighter configuration for interactive simulation rounds (retrained several times per run).
SIMULATION_PARAMS: dict[str, Any] = {"n_factors": 50, "n_epochs": 25, "lr_all": 0.007, "reg_all": 0.08}
# The simulated world: the champion configuration with one seed.
WORLD_PARAMS: dict[str, Any] = {**CHAMPION_PARAMS, "n_bags": 1}
