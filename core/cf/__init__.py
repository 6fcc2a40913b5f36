"""Collaborative filtering: the recommender (``CFRecommender``, on the :mod:`core.models`
contract), its popularity fallback, its training set, its parameters, its evaluation (k-fold
comparison, temporal holdout with ranking metrics) and the catalog's deployed champion
(artifact slot ``Slot("cf", catalog)`` in :mod:`core.artifacts`).

Public entry points::

    from core.cf import CFRecommender, train_champion, load_champion

    model = CFRecommender(**CHAMPION_PARAMS).fit(ratings, films=movies)  # ratings: user_id, movie_id, rating;
                                                                    # films: the catalog's films (side information)
    model.predict_flagged(users, films, history=ratings)            # values + a Flag per prediction
    model.recommend(ratings, user_ids=[1], n=10)                    # user_id, rank, movie_id, score, source, flag

**Factors learned elsewhere** (Spark ALS, implicit ALS/BPR) become an ordinary recommender with
``CFRecommender.from_factors(mu=, bu=, bi=, pu=, qi=, user_ids=, item_ids=, rating_scale=,
user_counts=, item_sums=, item_counts=, algorithm="spark-als", **hyper_parameters)``: global mean,
user and film biases (zeros if the model has none), user and film factor matrices aligned with
the raw ``user_ids``/``item_ids``, the (low, high) rating scale, training ratings per user, and
the sum and count of training ratings per film (the popularity fallback's statistics). Save it
with ``ArtifactStore().save(Slot("cf", catalog), model, data_checksum=catalog.data_checksum,
metrics=...)``; ``cf recommend``, fold-in, monitoring and the registry then serve it unchanged.
"""
from core.cf.champion import cf_slot, holdout_baseline, load_champion, train_champion
from core.cf.data import build_trainset, check_ratings, genre_table
from core.cf.evaluation import (DEFAULT_MODELS, MODELS, beyond_accuracy, compare_models, fit_blend_weights, holdout_report,
                                kfold_indices, popularity_lists, ranking_comparison, split_ratings)
from core.cf.factors import FactorModel
from core.cf.fallback import PopularityFallback
from core.cf.params import (BAYES_PARAMS, CHAMPION_PARAMS, IMPLICIT_PARAMS, KNN_PARAMS, PREVIOUS_CHAMPION_PARAMS,
                            SIMULATION_PARAMS, SVD_TUNED_PARAMS, WORLD_PARAMS)
from core.cf.recommender import BAYES_MF, BLEND, FOLD_IN, IMPLICIT_ALS, KNN_BASELINE, POPULARITY, SVD, SVDPP, CFRecommender, UserVectors, as_ids

__all__ = ["BAYES_MF", "BAYES_PARAMS", "BLEND", "CHAMPION_PARAMS", "DEFAULT_MODELS",
           "FOLD_IN", "IMPLICIT_ALS", "IMPLICIT_PARAMS", "KNN_BASELINE", "KNN_PARAMS", "MODELS", "POPULARITY", "PREVIOUS_CHAMPION_PARAMS", "SIMULATION_PARAMS", "SVD", "SVDPP",
           "SVD_TUNED_PARAMS", "WORLD_PARAMS", "CFRecommender", "FactorModel", "PopularityFallback", "UserVectors",
           "as_ids", "beyond_accuracy", "build_trainset", "cf_slot", "check_ratings", "compare_models", "fit_blend_weights", "genre_table",
           "holdout_baseline", "holdout_report", "kfold_indices", "load_champion", "popularity_lists",
           "ranking_comparison", "split_ratings", "train_champion"]
