"""``python -m core personal label|train|predict``: the personal taste model from the shell."""
from __future__ import annotations

import argparse
import json
import sys

from core.cli import add_json_flag, emit, resolve_catalog
from core.errors import MarqueeError
from core.progress import StderrProgress
from core.validation import arg_float, arg_id, arg_int, arg_name, arg_text, output_file

LABEL_ALIASES = {"would_watch": "would_watch", "watch": "would_watch", "yes": "would_watch",
                 "would_not_watch": "would_not_watch", "no": "would_not_watch", "not": "would_not_watch",
                 "would_watch_many": "would_watch_many", "many": "would_watch_many"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("personal", help="personal taste model: label titles, train, predict")
    commands = parser.add_subparsers(dest="personal_command", required=True, metavar="ACTION")

    p = commands.add_parser("label", help="label, skip, undo, import/export labels, manage exclusions")
    _common(p)
    action = p.add_mutually_exclusive_group()
    action.add_argument("--movie", type=arg_id(), metavar="ID", help="film to label (with --as)")
    action.add_argument("--skip", type=arg_id(), metavar="ID", help="skip a film (never a negative label)")
    action.add_argument("--undo", action="store_true", help="revert the latest change")
    action.add_argument("--import-csv", metavar="FILE", help="import labels (columns movie_id,label[,labeled_at,title])")
    action.add_argument("--import-from", metavar="FILE",
                        help="import a Letterboxd (ratings.csv, diary.csv), IMDb ratings or Trakt ratings export: "
                             "shows what matches the catalog; add --yes to write it")
    action.add_argument("--export-csv", metavar="FILE", help="write the labels as CSV ('-' for stdout)")
    action.add_argument("--from-user", type=arg_id(), metavar="USER_ID",
                        help="label from a catalog user's ratings (rating >= --threshold means would watch)")
    action.add_argument("--exclude", type=arg_id(), nargs="+", metavar="ID", help="never recommend these films")
    action.add_argument("--next", action="store_true", help="show the next titles to label")
    p.add_argument("--as", dest="label", choices=sorted(LABEL_ALIASES), help="the label for --movie")
    p.add_argument("--threshold", type=arg_float(), help="--from-user: rating that means 'would watch' (default 4); "
                   "--import-from: default 70%% of the service's scale (3.5 of 5, 7 of 10)")
    p.add_argument("--format", default="auto", choices=["auto", "letterboxd", "imdb", "trakt"],
                   help="--import-from: the export's service (default: recognised from the header)")
    p.add_argument("--yes", action="store_true", help="--import-from: write the matched rows (default: preview only)")
    p.add_argument("--many-threshold", type=arg_float(), help="--from-user: rating that means 'would watch many times'")
    p.add_argument("--reason", type=arg_text(200), help="--exclude: why (e.g. 'not on my services')")
    p.add_argument("--strategy", default="random", choices=["random", "uncertain", "popular"],
                   help="--next: queue order (default random: it learned fastest in the benchmark)")
    p.add_argument("-n", type=arg_int(1, 1000), default=10, help="--next: how many titles")
    p.set_defaults(handler=_label)

    p = commands.add_parser("train", help="grid-search with stratified CV, then fit and save the model")
    _common(p)
    p.add_argument("--folds", type=arg_int(2, 20), default=5, help="cross-validation folds (default 5)")
    p.add_argument("--grid", help='hyper-parameter grid as JSON, e.g. \'{"max_depth": [2, 4]}\' (default: built-in)')
    p.add_argument("--three-way", default="auto", choices=["auto", "binary", "three-way"],
                   help="use 'would watch many times' as its own class (auto: when there are enough)")
    p.add_argument("--text-source", default="tfidf", help="text features: tfidf (default), none, or a registered source")
    p.add_argument("--seed", type=arg_int(0, 2**32 - 1), default=0)
    p.set_defaults(handler=_train)

    p = commands.add_parser("train-shared", help="fit the catalog's shared model across simulated labelers (needs ratings)")
    p.add_argument("--catalog", help="catalog name (default: the active catalog)")
    p.add_argument("--combiner", default="auto", choices=["auto", "logistic", "boosted"],
                   help="auto: chosen on held-out simulated labelers (default)")
    p.add_argument("--max-labelers", type=arg_int(10, 10_000_000), help="simulate at most this many raters (speed)")
    p.add_argument("--seed", type=arg_int(0, 2**32 - 1), default=0)
    add_json_flag(p)
    p.set_defaults(handler=_train_shared)

    p = commands.add_parser("predict", help="'would I like it?' for titles, or a ranked list of unlabeled titles")
    _common(p)
    p.add_argument("--model", default="auto", choices=["auto", "shared", "profile"],
                   help="shared: the catalog's shared model; profile: the profile's own trained model; "
                        "auto: shared when the catalog has one (default)")
    p.add_argument("--movie", type=arg_id(), nargs="+", metavar="ID", help="explain these films (default: ranked list)")
    p.add_argument("--top", type=arg_int(1, 10_000), default=20, help="length of the ranked list (default 20)")
    p.set_defaults(handler=_predict)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", type=arg_name(extra="@"), required=True, help="labeler profile name")
    p.add_argument("--catalog", help="catalog name (default: the active catalog)")
    p.add_argument("--store", help="labels store: a SQLite path or postgresql:// URL (default: data/personal/labels.sqlite "
                                   "or MARQUEE_LABELS_URL)")
    add_json_flag(p)


def _load(name: str | None, tables=None):
    from core.catalog import load_catalog

    catalog_name = resolve_catalog(name)
    return load_catalog(catalog_name, **({"tables": tables} if tables else {}))


def _label(args) -> int:
    from core import personal

    labels = personal.open_store(args.store)
    profile = args.profile
    if args.movie is not None:
        if not args.label:
            raise MarqueeError("--movie needs --as would_watch|would_not_watch|would_watch_many")
        catalog = _load(args.catalog)
        card = personal.title_card(catalog, args.movie)
        labels.set_label(profile, catalog.name, args.movie, LABEL_ALIASES[args.label], title=card["title"])
        result = {"labeled": args.movie, "title": card["title"], "label": LABEL_ALIASES[args.label]}
    elif args.skip is not None:
        labels.skip(profile, resolve_catalog(args.catalog), args.skip)
        result = {"skipped": args.skip}
    elif args.undo:
        undone = labels.undo(profile, resolve_catalog(args.catalog))
        result = {"undone": None} if undone is None else {"undone": undone.action, "movie_id": undone.movie_id,
                                                          "label_now": undone.restored}
    elif args.import_csv:
        catalog = _load(args.catalog, tables=("movies",))
        count = labels.import_csv(profile, catalog.name, args.import_csv, known_movie_ids=set(catalog.movies["movie_id"]))
        result = {"imported": count}
    elif args.import_from:
        from core.validation import input_file

        catalog = _load(args.catalog, tables=("movies",))
        preview = personal.preview_import(catalog, input_file(args.import_from, "--import-from"), name=args.import_from,
                                          fmt=args.format, threshold=args.threshold, many_threshold=args.many_threshold)
        result = {"summary": preview.summary(), "format": preview.format, "matched": len(preview.matched),
                  "unmatched": preview.unmatched.to_dict("records"), "written": 0}
        if args.yes:
            result["written"] = personal.apply_import(labels, profile, catalog.name, preview)
        elif not args.json:
            print(preview.matched[["line", "title", "year", "rating", "label", "catalog_title", "matched_by"]]
                  .to_string(index=False), file=sys.stderr)
            print("preview only: add --yes to write the matched rows", file=sys.stderr)
    elif args.export_csv:
        out = None if args.export_csv == "-" else output_file(args.export_csv, "--export-csv", (".csv",))
        text = labels.export_csv(profile, resolve_catalog(args.catalog), out)
        if out is None:
            sys.stdout.write(text)
            return 0
        result = {"exported": len(labels.labels(profile, resolve_catalog(args.catalog))), "file": str(out)}
    elif args.from_user is not None:
        result = personal.import_user_ratings(labels, profile, _load(args.catalog), args.from_user,
                                              4.0 if args.threshold is None else args.threshold, args.many_threshold)
    elif args.exclude:
        result = {"excluded": labels.exclude(profile, resolve_catalog(args.catalog), args.exclude, args.reason or "")}
    elif args.next:
        catalog = _load(args.catalog)
        scores = personal.uncertainty_scores(labels, profile, catalog) if args.strategy == "uncertain" else None
        queue = personal.next_titles(labels, profile, catalog, args.strategy, n=args.n, scores=scores)
        titles = catalog.movies.set_index("movie_id")
        queue["title"] = queue["movie_id"].map(titles["title"])
        queue["year"] = queue["movie_id"].map(titles["year"])
        result = queue.to_dict("records")
        emit(result, args.json, text=lambda rows: "\n".join(
            f"{r['movie_id']:>10}  {r['title']} ({r['year']})  [{r['why']}]" for r in rows) or "nothing left to label")
        return 0
    else:
        result = personal.label_summary(labels, profile, resolve_catalog(args.catalog))
    emit(result, args.json)
    return 0


def _train(args) -> int:
    from core import personal

    grid = None
    if args.grid:
        try:
            grid = json.loads(args.grid)
        except json.JSONDecodeError as exc:
            raise MarqueeError(f"--grid is not valid JSON: {exc}") from None
        if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
            raise MarqueeError('--grid must be a JSON object of non-empty lists, e.g. {"max_depth": [2, 4]}')
    report = personal.train(args.profile, _load(args.catalog), store=personal.open_store(args.store), grid=grid,
                            n_splits=args.folds, three_way=args.three_way, text_source=args.text_source, seed=args.seed,
                            progress=StderrProgress("train"))
    emit(report, args.json, text=_train_text)
    return 0


def _train_text(report: dict) -> str:
    m = report["metrics"]
    lines = [f"profile {report['profile']} · catalog {report['catalog']} · {report['n_labels']} labels · {report['mode']}",
             f"CV ROC-AUC {m['roc_auc']:.3f}  PR-AUC {m['pr_auc']:.3f}  Brier {m['brier']:.3f}  accuracy {m['accuracy']:.3f}",
             f"best parameters: {report['best_params']}",
             "confusion matrix (rows = label, columns = prediction): " + json.dumps(m["confusion_matrix"])]
    if not report["reliable"]:
        lines.insert(1, "warning: " + report["reliability_message"])
    for key in ("false_positives", "false_negatives"):
        lines.append(f"{key.replace('_', ' ')}: " + "; ".join(f"{r['title']} ({r['p_watch']:.2f})" for r in report[key][:5]))
    return "\n".join(lines)


def _train_shared(args) -> int:
    from core import personal

    report = personal.train_shared(_load(args.catalog), combiner=args.combiner, max_labelers=args.max_labelers,
                                   seed=args.seed, progress=StderrProgress("train-shared"))
    m = report["metrics"]
    emit(report, args.json, text=lambda r: (
        f"catalog {r['catalog']} · shared model {r['version']} · {r['combiner']} combiner · {r['labelers']} simulated "
        f"labelers\nheld-out labelers ({m['validation_users']}): mean per-user ROC-AUC {m['mean_user_auc']:.3f} vs "
        f"crowd mean {m['crowd_mean_user_auc']:.3f}; above the crowd for {100 * m['share_users_above_crowd']:.0f}%"))
    return 0


def _predict(args) -> int:
    from core import personal

    catalog = _load(args.catalog)
    labels = personal.open_store(args.store)
    use_shared = args.model == "shared" or (args.model == "auto" and personal.shared_version(catalog.name) is not None)
    if use_shared:
        return _predict_shared(args, personal, personal.load_shared(catalog), catalog, labels)
    trained = personal.load_trained(args.profile, catalog)
    if not trained.reliability().ok:
        print("warning: " + trained.reliability().message, file=sys.stderr)
    if args.movie:
        result = [personal.explain(trained, catalog, m, store=labels) for m in args.movie]
        emit(result, args.json, text=lambda rows: "\n\n".join(_explain_text(r) for r in rows))
        return 0
    frame = personal.recommend(trained, catalog, store=labels, top=args.top).reset_index()
    emit(frame.to_dict("records"), args.json, text=lambda rows: "\n".join(
        f"{r['rank']:>3}. {r['p_watch']:.2f}  {r['title']} ({r['year']})  [{r['reason']}]" for r in rows)
        or "nothing left to recommend")
    return 0


def _predict_shared(args, personal, model, catalog, labels) -> int:
    if args.movie:
        result = [personal.shared_explain(model, catalog, labels, args.profile, m) for m in args.movie]
        emit(result, args.json, text=lambda rows: "\n".join(
            f"film {r['movie_id']}: P(would watch) = {r['p_watch']:.2f} [{r['reason']}]"
            + (" (cold start: label a few more titles)" if r["cold_start"] else "") for r in rows))
        return 0
    frame = personal.shared_recommend(model, catalog, labels, args.profile, top=args.top).reset_index()
    emit(frame.to_dict("records"), args.json, text=lambda rows: "\n".join(
        f"{r['rank']:>3}. {r['p_watch']:.2f}  {r['title']} ({r['year']})  [{r['reason']}]" for r in rows)
        or "nothing left to recommend")
    return 0


def _explain_text(r: dict) -> str:
    lines = [f"{r['title']} [{r['movie_id']}]: P(would watch) = {r['p_watch']:.2f}"
             + (f" (your label: {r['your_label']})" if r["your_label"] else "")
             + (" [unreliable model]" if r["flag"] == "unreliable_model" else "")]
    lines += [f"  + {c['feature']}: {c['contribution']:+.3f}" for c in r["top_positive"]]
    lines += [f"  - {c['feature']}: {c['contribution']:+.3f}" for c in r["top_negative"]]
    if r["because_you_liked"]:
        lines.append("  because you liked: " + ", ".join(s["title"] for s in r["because_you_liked"]))
    return "\n".join(lines)
