"""``python -m core personal label|train|predict``: the personal taste model from the shell."""
from __future__ import annotations

import argparse
import json
import sys

from core.cli import add_json_flag, emit, resolve_catalog
from core.errors import MarqueeError
from core.progress import StderrProgress

LABEL_ALIASES = {"would_watch": "would_watch", "watch": "would_watch", "yes": "would_watch",
                 "would_not_watch": "would_not_watch", "no": "would_not_watch", "not": "would_not_watch",
                 "would_watch_many": "would_watch_many", "many": "would_watch_many"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("personal", help="personal taste model: label titles, train, predict")
    commands = parser.add_subparsers(dest="personal_command", required=True, metavar="ACTION")

    p = commands.add_parser("label", help="label, skip, undo, import/export labels, manage exclusions")
    _common(p)
    action = p.add_mutually_exclusive_group()
    action.add_argument("--movie", type=int, metavar="ID", help="film to label (with --as)")
    action.add_argument("--skip", type=int, metavar="ID", help="skip a film (never a negative label)")
    action.add_argument("--undo", action="store_true", help="revert the latest change")
    action.add_argument("--import-csv", metavar="FILE", help="import labels (columns movie_id,label[,labeled_at,title])")
    action.add_argument("--export-csv", metavar="FILE", help="write the labels as CSV ('-' for stdout)")
    action.add_argument("--from-user", type=int, metavar="USER_ID",
                        help="label from a catalog user's ratings (rating >= --threshold means would watch)")
    action.add_argument("--exclude", type=int, nargs="+", metavar="ID", help="never recommend these films")
    action.add_argument("--next", action="store_true", help="show the next titles to label")
    p.add_argument("--as", dest="label", choices=sorted(LABEL_ALIASES), help="the label for --movie")
    p.add_argument("--threshold", type=float, default=4.0, help="--from-user: rating that means 'would watch' (default 4)")
    p.add_argument("--many-threshold", type=float, help="--from-user: rating that means 'would watch many times'")
    p.add_argument("--reason", default="", help="--exclude: why (e.g. 'not on my services')")
    p.add_argument("--strategy", default="popular", choices=["popular", "random", "uncertain"], help="--next: queue order")
    p.add_argument("-n", type=int, default=10, help="--next: how many titles")
    p.set_defaults(handler=_label)

    p = commands.add_parser("train", help="grid-search with stratified CV, then fit and save the model")
    _common(p)
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    p.add_argument("--grid", help='hyper-parameter grid as JSON, e.g. \'{"max_depth": [2, 4]}\' (default: built-in)')
    p.add_argument("--three-way", default="auto", choices=["auto", "binary", "three-way"],
                   help="use 'would watch many times' as its own class (auto: when there are enough)")
    p.add_argument("--text-source", default="tfidf", help="text features: tfidf (default), none, or a registered source")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=_train)

    p = commands.add_parser("predict", help="'would I like it?' for titles, or a ranked list of unlabeled titles")
    _common(p)
    p.add_argument("--movie", type=int, nargs="+", metavar="ID", help="explain these films (default: ranked list)")
    p.add_argument("--top", type=int, default=20, help="length of the ranked list (default 20)")
    p.set_defaults(handler=_predict)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", required=True, help="labeler profile name")
    p.add_argument("--catalog", help="catalog name (default: the active catalog)")
    p.add_argument("--store", help="labels store: a SQLite path or postgresql:// URL (default: data/personal/labels.sqlite "
                                   "or MARQUEE_LABELS_URL)")
    add_json_flag(p)


def _label(args) -> int:
    from core.catalog import store as catalogs
    from core.personal import api

    catalog_name = resolve_catalog(args.catalog)
    labels = api.get_store(args.store)
    profile = args.profile
    if args.movie is not None:
        if not args.label:
            raise MarqueeError("--movie needs --as would_watch|would_not_watch|would_watch_many")
        catalog = catalogs.load_catalog(catalog_name, verify=False, tables=("movies",))
        card = api.title_card(catalog, args.movie)
        labels.set_label(profile, catalog_name, args.movie, LABEL_ALIASES[args.label], title=card["title"])
        result = {"labeled": args.movie, "title": card["title"], "label": LABEL_ALIASES[args.label]}
    elif args.skip is not None:
        labels.skip(profile, catalog_name, args.skip)
        result = {"skipped": args.skip}
    elif args.undo:
        undone = labels.undo(profile, catalog_name)
        result = {"undone": None} if undone is None else {"undone": undone.action, "movie_id": undone.movie_id,
                                                          "label_now": undone.restored}
    elif args.import_csv:
        catalog = catalogs.load_catalog(catalog_name, verify=False, tables=("movies",))
        count = labels.import_csv(profile, catalog_name, args.import_csv, known_movie_ids=set(catalog.movies["movie_id"]))
        result = {"imported": count}
    elif args.export_csv:
        text = labels.export_csv(profile, catalog_name, None if args.export_csv == "-" else args.export_csv)
        if args.export_csv == "-":
            sys.stdout.write(text)
            return 0
        result = {"exported": text.count("\n") - 1, "file": args.export_csv}
    elif args.from_user is not None:
        catalog = catalogs.load_catalog(catalog_name, verify=False)
        result = api.import_user_ratings(labels, profile, catalog, args.from_user, args.threshold, args.many_threshold)
    elif args.exclude:
        result = {"excluded": labels.exclude(profile, catalog_name, args.exclude, args.reason)}
    elif args.next:
        catalog = catalogs.load_catalog(catalog_name, verify=False)
        scores = api.uncertainty_scores(labels, profile, catalog) if args.strategy == "uncertain" else None
        queue = api.next_titles(labels, profile, catalog, args.strategy, n=args.n, scores=scores)
        titles = catalog.movies.set_index("movie_id")
        queue["title"] = queue["movie_id"].map(titles["title"])
        queue["year"] = queue["movie_id"].map(titles["year"])
        result = queue.to_dict("records")
        emit(result, args.json, text=lambda rows: "\n".join(
            f"{r['movie_id']:>10}  {r['title']} ({r['year']})  [{r['why']}]" for r in rows) or "nothing left to label")
        return 0
    else:
        result = api.label_summary(labels, profile, catalog_name)
    emit(result, args.json)
    return 0


def _train(args) -> int:
    from core.personal import api

    grid = None
    if args.grid:
        try:
            grid = json.loads(args.grid)
        except json.JSONDecodeError as exc:
            raise MarqueeError(f"--grid is not valid JSON: {exc}") from None
        if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
            raise MarqueeError('--grid must be a JSON object of non-empty lists, e.g. {"max_depth": [2, 4]}')
    report = api.train(args.profile, resolve_catalog(args.catalog), store=api.get_store(args.store), grid=grid,
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
    for key in ("false_positives", "false_negatives"):
        lines.append(f"{key.replace('_', ' ')}: " + "; ".join(f"{r['title']} ({r['p_watch']:.2f})" for r in report[key][:5]))
    return "\n".join(lines)


def _predict(args) -> int:
    from core.personal import api

    catalog_name = resolve_catalog(args.catalog)
    labels = api.get_store(args.store)
    trained = api.load_trained(args.profile, catalog_name)
    if args.movie:
        result = [api.explain(args.profile, catalog_name, m, store=labels, trained=trained) for m in args.movie]
        emit(result, args.json, text=lambda rows: "\n\n".join(_explain_text(r) for r in rows))
        return 0
    frame = api.recommend(args.profile, catalog_name, top=args.top, store=labels, trained=trained)
    emit(frame.to_dict("records"), args.json, text=lambda rows: "\n".join(
        f"{r['rank']:>3}. {r['p_watch']:.2f}  {r['title']} ({r['year']})" for r in rows) or "nothing left to recommend")
    return 0


def _explain_text(r: dict) -> str:
    lines = [f"{r['title']} [{r['movie_id']}]: P(would watch) = {r['p_watch']:.2f}"
             + (f" (your label: {r['your_label']})" if r["your_label"] else "")]
    lines += [f"  + {c['feature']}: {c['contribution']:+.3f}" for c in r["top_positive"]]
    lines += [f"  - {c['feature']}: {c['contribution']:+.3f}" for c in r["top_negative"]]
    if r["because_you_liked"]:
        lines.append("  because you liked: " + ", ".join(s["title"] for s in r["because_you_liked"]))
    return "\n".join(lines)
