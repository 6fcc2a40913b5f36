"""``python -m core cf train|evaluate|simulate|recommend``."""
from __future__ import annotations

import argparse

import pandas as pd

from core.cli import add_catalog_arg, add_json_flag, emit, resolve_catalog
from core.engine import SPARK, add_engine_arg, engine_setting
from core.errors import MarqueeError
from core.progress import StderrProgress
from core.validation import arg_float, arg_id, arg_int, arg_name, arg_text

SEED_MAX = 2 ** 31 - 1


def register(subparsers: argparse._SubParsersAction) -> None:
    cf = subparsers.add_parser("cf", help="collaborative filtering: train, evaluate, simulate, recommend")
    commands = cf.add_subparsers(dest="cf_command", required=True, metavar="ACTION")

    p = commands.add_parser("train", help="train the recommender and register it as champion")
    add_catalog_arg(p)
    _model_args(p)
    p.add_argument("--no-promote", action="store_true", help="register the model without making it champion")
    p.add_argument("--feedback", choices=("explicit", "implicit"), default="explicit",
                   help="implicit: the ratings are a watch log (rating = strength, empty = 1): implicit-feedback ALS "
                        "(on Spark with --engine spark, else on this machine)")
    _spark_args(p)
    add_json_flag(p)
    p.set_defaults(handler=_train)

    p = commands.add_parser("evaluate", help="k-fold RMSE/MAE/R² and fit time of every model in the comparison")
    add_catalog_arg(p)
    p.add_argument("--folds", type=arg_int(2, 100), default=5)
    p.add_argument("--seed", type=arg_int(0, SEED_MAX), default=0)
    p.add_argument("--models", help="comma-separated subset (default: popularity,baseline_only,knn_baseline,svd,"
                                    "svd_tuned,champion; svd_single, bayes_mf and svdpp are opt-in)")
    p.add_argument("--holdout", choices=("none", "temporal", "random"), default="none",
                   help="also report ranking, coverage, diversity and personalization on one holdout split")
    p.add_argument("-k", type=arg_int(1, 1000), default=10, help="list length for ranking metrics (default 10)")
    add_engine_arg(p)
    add_json_flag(p)
    p.set_defaults(handler=_evaluate)

    p = commands.add_parser("simulate", help="run behaviour-simulation rounds with drift checks and retraining")
    add_catalog_arg(p)
    p.add_argument("--rounds", type=arg_int(0, 10_000), default=5)
    p.add_argument("--scenario", default="baseline",
                   help="baseline, genre-penalty, cohort-shift, new-users, new-films or mixed")
    p.add_argument("--seed", type=arg_int(0, SEED_MAX), default=0)
    p.add_argument("--run", type=arg_name(), help="run name (default SCENARIO-seedSEED); an existing run is replaced unless --resume")
    p.add_argument("--resume", action="store_true", help="continue an existing run instead of starting over")
    p.add_argument("--start-round", type=arg_int(1, 1_000_000), help="first round with drift (default 2)")
    p.add_argument("--genre", type=arg_text(100), help="genre to penalise (default: the most-rated genre)")
    p.add_argument("--penalty", type=arg_float(-10, 10), help="stars subtracted from the penalised genre's ratings")
    p.add_argument("--cohort-fraction", type=arg_float(0, 1), help="share of users whose taste shifts")
    p.add_argument("--cohort-shift", type=arg_float(-100, 100), help="size of the taste shift, in standard deviations")
    p.add_argument("--new-users", type=arg_int(0, 100_000), help="new users per round")
    p.add_argument("--new-films", type=arg_int(0, 100_000), help="new films per round")
    add_json_flag(p)
    p.set_defaults(handler=_simulate)

    p = commands.add_parser("recommend", help="top-N films for one user from the registered champion")
    add_catalog_arg(p)
    p.add_argument("--user", type=arg_id(), required=True, help="user id (a whole number ≥ 0)")
    p.add_argument("-n", type=arg_int(1, 1000), default=10, help="list length, 1–1000 (default 10)")
    add_json_flag(p)
    p.set_defaults(handler=_recommend)


ALGORITHMS = ("champion", "svd", "svdpp", "bayes-mf", "knn-baseline")


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--algorithm", choices=ALGORITHMS, default="champion",
                   help="champion (the configuration chosen by 5-fold CV, default), or one model: tuned svd, "
                        "svdpp, bayes-mf or knn-baseline; --factors/--epochs/--lr/--reg alone mean a tuned svd")
    p.add_argument("--factors", type=arg_int(1, 10_000), help="latent factors (default from the champion configuration)")
    p.add_argument("--epochs", type=arg_int(1, 100_000))
    p.add_argument("--lr", type=arg_float(0, 10, low_open=True), help="learning rate, in (0, 10]")
    p.add_argument("--reg", type=arg_float(0, 1e6), help="factor regularisation, ≥ 0")
    p.add_argument("--seed", type=arg_int(0, SEED_MAX), default=0)


def _spark_args(p: argparse.ArgumentParser) -> None:
    add_engine_arg(p)
    p.add_argument("--implicit", action="store_true",
                   help="Spark only: implicit-feedback ALS (watch logs; rating = strength, empty = 1)")
    p.add_argument("--alpha", type=arg_float(0, 1e6), help="implicit feedback: confidence 1 + alpha·r (default 0.3 here, 10 on Spark)")


def _params(args) -> dict:
    chosen = {"n_factors": args.factors, "n_epochs": args.epochs, "lr_all": args.lr, "reg_all": args.reg}
    algorithm = getattr(args, "algorithm", "champion")
    chosen["algorithm"] = None if algorithm == "champion" else algorithm
    return {**{k: v for k, v in chosen.items() if v is not None}, "random_state": args.seed}


def _load(args):
    from core.catalog import load_catalog

    return load_catalog(resolve_catalog(args.catalog))


def _train(args) -> int:
    from core.cf import train_champion

    implicit = args.implicit or args.feedback == "implicit"
    if engine_setting(args.engine) == SPARK:
        from core.spark import train_cf

        result = train_cf(_load(args), _params(args), implicit=implicit, alpha=args.alpha,
                          promote=not args.no_promote, progress=StderrProgress("train"))
        emit(result, args.json)
        return 0
    if args.implicit:
        raise MarqueeError("--implicit trains Spark's implicit-feedback ALS: add --engine spark, or use "
                           "--feedback implicit on this machine")
    params = _params(args)
    if args.feedback == "implicit":
        if params.get("algorithm") not in (None, "implicit-als") or params.get("lr_all") is not None:
            raise MarqueeError("--feedback implicit trains implicit ALS: drop --algorithm and --lr")
        params = {**params, "algorithm": "implicit-als", **({"alpha": args.alpha} if args.alpha is not None else {})}
    elif args.alpha is not None:
        raise MarqueeError("--alpha is the implicit-feedback confidence: add --feedback implicit")
    result = train_champion(_load(args), params, promote=not args.no_promote, progress=StderrProgress("train"))
    emit(result, args.json)
    return 0


def _evaluate(args) -> int:
    from core.cf import DEFAULT_MODELS, compare_models, holdout_report

    catalog = _load(args)
    if engine_setting(args.engine) == SPARK:
        from core.spark import SPARK_MODEL, evaluate_cf

        models = tuple(m.strip() for m in args.models.split(",")) if args.models else (SPARK_MODEL,)
        result = evaluate_cf(catalog, models=models, folds=args.folds, seed=args.seed, holdout=args.holdout,
                             k=args.k, progress=StderrProgress("evaluate"))
        emit(result, args.json, text=_evaluation_text)
        return 0
    models = tuple(m.strip() for m in args.models.split(",")) if args.models else DEFAULT_MODELS
    rows = compare_models(catalog.ratings, models, folds=args.folds, seed=args.seed, progress=StderrProgress("evaluate"),
                          films=catalog.movies)
    result = {"catalog": catalog.name, "ratings": int(len(catalog.ratings)), "folds": args.folds, "seed": args.seed,
              "models": rows}
    if args.holdout != "none":
        result["holdout"] = holdout_report(catalog.ratings, catalog.movies, split=args.holdout, k=args.k, seed=args.seed)
    emit(result, args.json, text=_evaluation_text)
    return 0


def _evaluation_text(result: dict) -> str:
    lines = [f"{result['catalog']}: {result['ratings']:,} ratings, {result['folds']}-fold",
             f"{'model':<16}{'RMSE':>8}{'MAE':>8}{'R²':>8}{'fit s':>8}"]
    for row in result["models"]:
        lines.append(f"{row['model']:<16}{row['rmse']:>8.4f}{row['mae']:>8.4f}{row['r2']:>8.4f}{row['fit_seconds']:>8.2f}")
    holdout = result.get("holdout")
    if holdout:
        k = holdout["k"]
        lines.append(f"{holdout['split']} holdout: RMSE {holdout['accuracy']['rmse']:.4f}, precision@{k} "
                     f"{holdout[f'precision@{k}']:.4f}, recall@{k} {holdout[f'recall@{k}']:.4f}, ndcg@{k} "
                     f"{holdout[f'ndcg@{k}']:.4f}, coverage {holdout['coverage']:.3f}, diversity "
                     f"{holdout['diversity']:.3f}, personalization {holdout['personalization']:.3f}")
    return "\n".join(lines)


def _simulate(args) -> int:
    from core.monitoring import simulate
    from core.simulation import check_rounds, make_scenario

    check_rounds(args.rounds)
    scenario = make_scenario(args.scenario, start_round=args.start_round, penalty_genre=args.genre, penalty=args.penalty,
                             cohort_fraction=args.cohort_fraction, cohort_shift=args.cohort_shift,
                             new_users_per_round=args.new_users, new_films_per_round=args.new_films)
    summary = simulate(_load(args), args.rounds, scenario, seed=args.seed, run=args.run, resume=args.resume,
                       progress=StderrProgress("simulate"))
    emit(summary, args.json, text=_simulation_text)
    return 0


def _simulation_text(summary: dict) -> str:
    lines = [f"{summary['run']} ({summary['scenario']}): target R² {summary['target_r2']:.3f}, "
             f"noise sd {summary['noise_sd']:.3f}"]
    for r in summary["rounds"]:
        line = (f"round {r['round']:>3}: {r['ratings']:>6} ratings  RMSE {r['rmse']:.3f}  R² {r['r2']:.3f} "
                f"(baseline {r['baseline_r2']:.3f})  coverage {r['coverage']:.3f}  champion {r['champion_after']}")
        if r["decision"]:
            line += f"\n           {'PROMOTED' if r['decision']['promoted'] else 'rejected'} {r['decision']['challenger']}: " \
                    + "; ".join(r["decision"]["reasons"])
        lines.append(line)
    return "\n".join(lines)


def _recommend(args) -> int:
    from core.cf import load_champion

    catalog = _load(args)
    model, _ = load_champion(catalog)
    recs = model.recommend(catalog.ratings, user_ids=[args.user], n=args.n)
    recs = recs.merge(catalog.movies[["movie_id", "title", "year"]], on="movie_id", how="left")
    recs["title"] = recs["title"].fillna("(film no longer in the catalog)")
    recs["year"] = recs["year"].astype("Int64")
    rows = [{**row, "year": None if row["year"] is pd.NA else int(row["year"])}
            for row in recs.to_dict(orient="records")]
    emit(rows, args.json, text=_recommendation_text)
    return 0


def _recommendation_text(rows: list[dict]) -> str:
    if not rows:
        return "no recommendations"
    lines = [f"{r['rank']:>3}. {r['title']}" + (f" ({r['year']})" if r["year"] is not None else "")
             + f"  {r['score']:.2f}  [{r['source']}]" for r in rows]
    if rows[0]["flag"] != "ok":
        lines.insert(0, f"note: user {rows[0]['user_id']} is served with flag {rows[0]['flag']} "
                        f"({'popular films: too few ratings for personal scores' if rows[0]['source'] == 'popularity' else 'folded in from ratings given after training'})")
    return "\n".join(lines)
