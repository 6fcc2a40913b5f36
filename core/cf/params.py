"""Named hyper-parameter sets of the recommender (where the champion configuration lives).

Candidates are compared by 5-fold CV on MovieLens 100K (``benchmarks/bench_cf.py``; figures in the
README). Surprise's default SVD is the bench's "svd" row.
"""
from __future__ import annotations

from typing import Any

# Tuned SVD averaged over five seeds (the champion until issue 19; 5-fold RMSE 0.903): 50 factors,
# strong factor and light bias regularisation. Spark ALS is measured against it.
SVD_TUNED_PARAMS: dict[str, Any] = {"n_factors": 50, "n_epochs": 60, "lr_all": 0.007, "reg_all": 0.08,
                                    "reg_bias": 0.02, "init_std_dev": 0.05, "n_bags": 5}
PREVIOUS_CHAMPION_PARAMS = SVD_TUNED_PARAMS
# Bayesian MF (Gibbs sampling, core/cf/bayes.py): 10 factors, 200 sweeps, the first 40 discarded,
# every second one kept (80 samples averaged).
BAYES_PARAMS: dict[str, Any] = {"algorithm": "bayes-mf", "n_factors": 10, "n_epochs": 200, "burn_in": 40, "thin": 2}
# The champion's member: Bayesian MF whose rating noise is not one sampled number but each user's
# own (user_noise_prior: a Gamma prior of 10 pseudo-ratings centred on noise sd 0.85), 300
# sweeps, the first 20 discarded, every second one kept (140 samples), two Gibbs chains (seeds
# random_state and random_state + 1) averaged. Chosen on inner validation splits (never a test
# fold), one chain of seed 0 blended with the item KNN (weights cross-fitted on halves of the
# split), sampled noise (BAYES_PARAMS) / one fixed noise sd 0.85 / per-user noise:
# fold 1 0.9004 / 0.8992 / 0.8981, fold 2 0.8980 / 0.8981 / 0.8973, fold 4 0.9088 / 0.9078 /
# 0.9060. Noise sd 0.85 and the sweeps were chosen on fold 1's split (one fixed sd: 0.8 / 0.9 /
# 0.95 0.9030 / 0.9018 / 0.9037 alone vs 0.9006 at 0.85; the BPMF paper's 0.707 0.9135), the
# prior strength too (2 pseudo-ratings: the same blend, 0.8981). Fit time about 1.5x (300 sweeps).
BAYES_NOISE_PARAMS: dict[str, Any] = {**BAYES_PARAMS, "n_epochs": 300, "burn_in": 20, "noise_sd": 0.85,
                                      "user_noise_prior": 10.0}
BAYES_CHAINS_PARAMS: dict[str, Any] = {**BAYES_NOISE_PARAMS, "n_bags": 2}
# The same with the films' side information in the item prior (core/cf/side.py; BPMF with side
# information, Porteous et al. 2010): each film's prior mean is regressed on its genres and year
# (+ the catalog's IMDb vote average, log vote count and runtime), link matrix drawn every sweep
# (side_prior 10). Fold 1's inner validation split, one chain of seed 0 alone: no side info
# 0.8998, genres+year 0.8899, + IMDb 0.8868 (+ users' age, gender, occupation, which the catalog
# does not carry: 0.8878 with genres+year, 0.8844 with all).
BAYES_SIDE_PARAMS: dict[str, Any] = {**BAYES_CHAINS_PARAMS, "side_info": ["genres", "year"]}
BAYES_SIDE_IMDB_PARAMS: dict[str, Any] = {**BAYES_CHAINS_PARAMS, "side_info": ["genres", "year", "imdb"]}
# SVD++ (Surprise's trainer; served as p_u + |N(u)|^-1/2 Σ y_j): Surprise's defaults. Slow.
SVDPP_PARAMS: dict[str, Any] = {"algorithm": "svdpp", "n_factors": 20, "n_epochs": 20, "lr_all": 0.007, "reg_all": 0.02,
                                "init_std_dev": 0.1}
# Implicit feedback (watch logs, core/cf/implicit.py): ALS with confidence 1 + alpha·strength.
# Chosen on a validation split inside the ML-100K temporal training part (its latest quarter):
# NDCG@10 of returning users 0.147 vs most-rated 0.113; alpha 10 (Spark's default) gave 0.074.
IMPLICIT_PARAMS: dict[str, Any] = {"algorithm": "implicit-als", "n_factors": 16, "n_epochs": 10, "reg_all": 10.0,
                                   "alpha": 0.3}
# Item-based KNN with baselines (KNNBaseline's arithmetic: pearson_baseline similarity shrunk by
# 100, 40 neighbours), trained and served by core/cf/neighbours.py; reproduces Surprise's
# KNNBaseline to 1e-7 on ML-100K (5-fold RMSE 0.9165).
KNN_PARAMS: dict[str, Any] = {"algorithm": "knn-baseline", "k": 40, "min_k": 1, "shrinkage": 100.0}
# The champion: chosen by 5-fold CV among the candidates above (see the README's table).
# Weights: the mean over the 5 folds of the weights fitted on each fold's inner validation split
# (benchmarks/bench_cf.py, never on a test fold).
# Members: Bayesian MF with per-user noise (two chains) and the films' side information in its
# prior (genres, year, IMDb votes, runtime), and the item KNN. In every outer fold the bench chose
# the side-informed blend over the one without on that fold's inner split. Per-fold weights:
# Bayesian MF 0.89-0.95, KNN 0.05-0.11. 5-fold RMSE 0.8797 ± 0.0041 (without side information
# 0.8904 ± 0.0036 in the same run; benchmarks/results/cf.json). Before: 0.8907 ± 0.0035 with the
# noise sampled, 0.8908 with one fixed noise sd 0.85 (benchmarks/results/cf-fixed-noise.json).
# Top-N lists (CFRecommender.recommend, what `cf recommend` and the API serve): the 20 films most
# rated in the last 30 days of the training ratings that the user has not rated, ordered by the
# predicted rating. Chosen on a validation period (the latest quarter of the ML-100K temporal
# training part, blend weights fitted on the part before it) with the side-informed champion:
# NDCG@10 0.3024 (14 days, pool 20: 0.3014; the champion before side information had 14 days at
# 0.3010 and 30 days 4e-6 lower, a tie) vs 0.245 for lists by predicted rating over every film,
# 0.244 most-rated, 0.292 the 14-day most-rated list; test period in
# benchmarks/results/cf-ranking.json.
CHAMPION_LISTS: dict[str, Any] = {"list_by": "recent", "recent_days": 30.0, "recent_pool": 20}
CHAMPION_PARAMS: dict[str, Any] = {"algorithm": "blend", "members": [{**BAYES_SIDE_IMDB_PARAMS, "weight": 0.91},
                                                                     {**KNN_PARAMS, "weight": 0.09}],
                                   **CHAMPION_LISTS}
# A lighter configuration for interactive simulation rounds (retrained several times per run).
SIMULATION_PARAMS: dict[str, Any] = {"n_factors": 50, "n_epochs": 25, "lr_all": 0.007, "reg_all": 0.08}
# The simulated world: the tuned SVD with one seed.
WORLD_PARAMS: dict[str, Any] = {**SVD_TUNED_PARAMS, "n_bags": 1}
