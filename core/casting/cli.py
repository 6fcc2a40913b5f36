"""``python -m core casting train|brief``."""
from __future__ import annotations

import argparse
import math

from core.casting import TARGETS
from core.cli import add_json_flag, emit, load_catalog
from core.engine import SPARK, add_engine_arg, engine_setting
from core.progress import StderrProgress
from core.validation import arg_float, arg_int, arg_output_file, arg_output_folder, arg_text


def register(subparsers: argparse._SubParsersAction) -> None:
    casting = subparsers.add_parser("casting", help="casting model: train it, serve briefs")
    sub = casting.add_subparsers(dest="casting_command", required=True, metavar="ACTION")

    p = sub.add_parser("train", help="train the casting model and print its holdout metrics")
    p.add_argument("--catalog")
    p.add_argument("--cutoff", type=arg_int(1870, 2100), help="last training year (default 2010)")
    p.add_argument("--target", choices=list(TARGETS), help="success signal (default vote_average)")
    p.add_argument("--quantile", type=arg_float(0.5, 1, high_open=True), help="label = top (1-quantile) of training films (default 0.75)")
    p.add_argument("--predictions", metavar="FILE.csv", type=arg_output_file((".csv",)), help="write every holdout row with p_base and p_cal")
    p.add_argument("--feature-set", choices=["brief", "brief_co_stars", "seed"],
                   help="brief (default); brief_co_stars adds the record of the co-stars a brief names; seed: the first model's")
    add_engine_arg(p)
    p.add_argument("--no-baselines", action="store_true",
                   help="skip the seed-style, film-only and film + director models measured beside the full one")
    add_json_flag(p)
    p.set_defaults(handler=_train)

    p = sub.add_parser("brief", help="cast a brief: slate with alternates and reasons")
    p.add_argument("--catalog")
    p.add_argument("--year", type=arg_int(1870, 2100), required=True, help="release year of the film")
    p.add_argument("--budget", type=arg_float(0, 1e6, low_open=True), required=True, help="budget in millions of US dollars")
    p.add_argument("--genres", type=arg_text(500), required=True, help="comma-separated genres, e.g. Action,Adventure")
    p.add_argument("--bill-order", type=arg_int(1, 50), default=1, help="billing position of the role (1 = top billed)")
    p.add_argument("--n", type=arg_int(1, 50), default=5, help="slate size (default 5)")
    p.add_argument("--director", type=arg_text(200), help="director's name (adds the director synergy bump)")
    p.add_argument("--language", type=arg_text(20), help="original language code (default: the catalog's most common)")
    p.add_argument("--runtime", type=arg_float(1, 600), help="runtime in minutes (default: not known yet)")
    p.add_argument("--country", type=arg_text(60), help="main production country as the catalog names it, e.g. USA "
                                                         "(default: not known)")
    p.add_argument("--co-stars", type=arg_text(2000), help="comma-separated names of actors already cast: left out of the slate; with a "
                   "brief_co_stars model their records also set the base chance")
    p.add_argument("--director-weight", type=arg_float(0, 5), help="weight of the director synergy bump (default 0.5)")
    p.add_argument("--alpha-cycle", type=arg_float(0, 5), help="weight of the cycle head in the ranking score (default 0: it cannot reorder a slate)")
    p.add_argument("--out", metavar="DIR", type=arg_output_folder(), help="write slate/alternates/reasons CSVs, manifest and model card here")
    add_json_flag(p)
    p.set_defaults(handler=_brief)


def _config(args):
    from core.casting import CastingConfig

    values = {k: v for k, v in {"cutoff": args.cutoff, "target": args.target, "quantile": args.quantile,
                                "feature_set": getattr(args, "feature_set", None)}.items() if v is not None}
    return CastingConfig(**values, baselines=not getattr(args, "no_baselines", True))


def _train(args) -> int:
    from core.casting import train_and_save
    from core.io import atomic_path

    catalog = load_catalog(args.catalog)
    name = catalog.name
    if engine_setting(args.engine) == SPARK:  # the as-of features computed by Spark (core.spark)
        from core.spark import train_casting_spark

        trained = train_casting_spark(catalog, config=_config(args), progress=StderrProgress("casting train"))
    else:
        trained = train_and_save(catalog, _config(args), progress=StderrProgress("casting train"))
    if args.predictions:
        with atomic_path(args.predictions) as tmp:
            trained.holdout.to_csv(tmp, index=False)
    metrics = {k: v for k, v in trained.metrics.items()}
    result = {"catalog": name, "version": trained.extra["version"],
              "model_version": trained.extra["manifest"]["model_version"],
              "train_seconds": round(trained.train_seconds, 3), "metrics": _clean(metrics),
              "predictions": args.predictions, "engine": trained.extra.get("engine", "local")}
    emit(result, args.json, text=lambda r: (
        f"casting model for {r['catalog']} ({r['version']}, model {r['model_version']}, head {metrics['head']}, "
        f"{metrics['calibrator']} calibration, {r['train_seconds']:.1f}s)\n"
        f"holdout {metrics['years'][0]}–{metrics['years'][1]}: AUROC {metrics['auroc']:.3f}  PR-AUC {metrics['pr_auc']:.3f}  "
        f"Brier {metrics['brier']:.3f}  ECE {metrics['ece']:.3f}  ({metrics['n_rows']} rows, base rate {metrics['positive_rate']:.3f})"))
    return 0


def _brief(args) -> int:
    from core.casting import Brief, cast_brief, get_model, parse_co_stars, with_weights, write_brief_exports

    catalog = load_catalog(args.catalog)
    name = catalog.name
    trained = with_weights(get_model(catalog, progress=StderrProgress("casting model")),
                           args.alpha_cycle, args.director_weight)
    genres = tuple(g.strip() for g in args.genres.split(",") if g.strip())
    brief = Brief(year=args.year, budget_musd=args.budget, genres=genres, bill_order=args.bill_order, n=args.n,
                  director=args.director, language=args.language, runtime=args.runtime,
                  co_stars=parse_co_stars(args.co_stars), country=args.country)
    result = cast_brief(trained, brief)
    written = [str(p) for p in write_brief_exports(result, trained, args.out)] if args.out else []
    payload = {
        "catalog": name, "brief": result.brief.to_dict(), "flags": result.flags,
        "timings": result.timings, "slate": _records(result.slate),
        "alternates": _records(result.alternates), "reasons": _records(result.reasons),
        "comparables": _records(result.comparables), "files": written,
    }
    emit(payload, args.json, text=lambda r: _slate_text(result))
    return 0


def _records(frame) -> list[dict]:
    return _clean(frame.to_dict(orient="records"))


def _clean(value):
    """JSON-safe: NaN becomes null."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _slate_text(result) -> str:
    lines = [f"slate for {result.brief.year}, ${result.brief.budget_musd:g}M, {', '.join(result.brief.genres)}, "
             f"bill order {result.brief.bill_order}:"]
    for pick in result.slate.itertuples(index=False):
        alts = result.alternates.loc[result.alternates["rank"] == pick.rank, "alternate"].tolist()
        lines.append(f"{pick.rank:>2}. {pick.actor:<28} p_cal {pick.p_cal:.3f}  score {pick.p_high:.3f}  "
                     f"alternates: {', '.join(alts) or '-'}")
        for reason in result.reasons.loc[result.reasons["rank"] == pick.rank, "reason"]:
            lines.append(f"      - {reason}")
    return "\n".join(lines)
