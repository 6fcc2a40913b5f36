"""Catalog commands: catalogs, demo, import, merge, profile, splits, verify."""
from __future__ import annotations

import argparse

from core.cli import add_json_flag, emit, resolve_catalog
from core.progress import StderrProgress
from core.validation import arg_int, arg_name


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("catalogs", help="list catalogs and mark the active one")
    p.add_argument("--activate", metavar="NAME", type=arg_name(), help="make NAME the active catalog")
    add_json_flag(p)
    p.set_defaults(handler=_catalogs)

    p = subparsers.add_parser("demo", help="build the deterministic synthetic demo catalog")
    p.add_argument("--catalog", default="demo", type=arg_name(), help="catalog name (default: demo)")
    p.add_argument("--seed", type=arg_int(low=0, high=2 ** 32 - 1), default=7)
    p.add_argument("--movies", type=arg_int(low=50, high=200_000), default=3000, help="number of films (default 3000)")
    add_json_flag(p)
    p.set_defaults(handler=_demo)

    _register_import(subparsers)

    p = subparsers.add_parser("profile", help="recompute and print a catalog's data profile")
    p.add_argument("--catalog", type=arg_name())
    add_json_flag(p)
    p.set_defaults(handler=_profile)

    p = subparsers.add_parser("verify", help="check every file of a catalog against checksums.txt")
    p.add_argument("--catalog", type=arg_name())
    add_json_flag(p)
    p.set_defaults(handler=_verify)

    p = subparsers.add_parser("splits", help="write time-based train/valid/test splits by release year")
    p.add_argument("--catalog", type=arg_name())
    p.add_argument("--train-until", type=arg_int(low=1870, high=2100), required=True,
                   help="last year of the training split")
    p.add_argument("--valid-until", type=arg_int(low=1870, high=2100), required=True,
                   help="last year of the validation split")
    add_json_flag(p)
    p.set_defaults(handler=_splits)


def _catalogs(args) -> int:
    from core.catalog import store

    if args.activate:
        store.set_active(args.activate)
    rows = store.catalog_summaries()
    emit(rows, args.json, text=lambda rs: "\n".join(
        f"{'*' if r['active'] else ' '} {r['name']:<24} " + (
            f"unusable: {r['problem']}" if r["problem"] else
            f"{r['row_counts'].get('movies', 0):>7} films  {'synthetic ' if r['synthetic'] else ''}{r['source']}")
        for r in rs) or "no catalogs yet")
    return 0


def _demo(args) -> int:
    from core.catalog.demo import build_demo_catalog

    summary = build_demo_catalog(args.catalog, seed=args.seed, n_movies=args.movies, progress=StderrProgress("demo"))
    emit(summary, args.json)
    return 0


def _profile(args) -> int:
    from core.catalog import store
    from core.catalog.profile import profile_tables
    from core.catalog.schema import conform

    name = resolve_catalog(args.catalog)
    catalog = store.load_catalog(name)
    profile = profile_tables({t: conform(catalog.table(t), t) for t in store.TABLES})
    emit(profile, args.json, text=lambda p: "\n".join(
        f"{table}: {info['rows']} rows; nulls: " + ", ".join(f"{c}={v['nulls']}" for c, v in info["columns"].items() if v["nulls"])
        for table, info in p.items()))
    return 0


def _verify(args) -> int:
    from core.catalog import store

    name = resolve_catalog(args.catalog)
    problems = store.verify_catalog(name)
    emit({"catalog": name, "ok": not problems, "problems": problems}, args.json)
    return 0 if not problems else 1


def _splits(args) -> int:
    from core.catalog.splits import write_splits

    summary = write_splits(resolve_catalog(args.catalog), args.train_until, args.valid_until)
    emit(summary, args.json)
    return 0


# --- import and merge (importers helper) -----------------------------------------------------

def _register_import(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("import", help="import a public data set (wikipedia, imdb5000, movielens) as a catalog",
                              description="Import a public data set into a new catalog (written atomically).")
    sources = p.add_subparsers(dest="source", required=True, metavar="SOURCE")
    specs = (("wikipedia", "FILE_OR_DIR", "a movies-NNNNs.json file or a folder of them (all decades)"),
             ("imdb5000", "FILE", "the IMDB 5000 movie_metadata.csv"),
             ("movielens", "DIR", "a MovieLens folder: 100K (u.data, u.item) or latest (ratings.csv, movies.csv)"))
    for source, metavar, what in specs:
        s = sources.add_parser(source, help=f"import {what}", description=f"Import {what}.")
        s.add_argument("path", metavar=metavar, help=what)
        s.add_argument("--catalog", required=True, type=arg_name(), help="name of the catalog to write (replaced if it exists)")
        if source == "wikipedia":
            s.add_argument("--years", metavar="FIRST-LAST", help="only films released in these years, e.g. 1990-1999")
        add_json_flag(s)
        s.set_defaults(handler=_import)

    p = subparsers.add_parser("merge", help="enrich catalog BASE with OTHER and write the result as a new catalog",
                              description="Match films (external ids, then normalised title + year), fill BASE's "
                                          "gaps from OTHER, bring credits and ratings over.")
    p.add_argument("base", metavar="BASE", type=arg_name(), help="catalog to enrich")
    p.add_argument("other", metavar="OTHER", type=arg_name(), help="catalog to take details, credits and ratings from")
    p.add_argument("--into", required=True, metavar="NAME", type=arg_name(), help="name of the merged catalog")
    p.add_argument("--year-tolerance", type=arg_int(low=0, high=5), default=1,
                   help="years apart a unique title match may be (0-5, default 1)")
    add_json_flag(p)
    p.set_defaults(handler=_merge)


def _import_summary(name: str, result) -> dict:
    report = result.report
    return {"catalog": name, "source": result.source, "rows": result.rows(),
            "repairs": report.get("repairs", {}), "report": report}


def _import(args) -> int:
    from core.errors import MarqueeError

    try:
        return _run_import(args)
    except OSError as exc:  # unreadable file, permission denied, disk full
        raise MarqueeError(f"{exc.filename or args.path}: {exc.strerror or exc}") from None


def _run_import(args) -> int:
    from core.catalog.importers.base import save_import

    progress = StderrProgress(f"import {args.source}")
    if args.source == "wikipedia":
        from core.catalog.importers.wikipedia import import_wikipedia
        result = import_wikipedia(args.path, progress=progress, years=args.years)
    elif args.source == "imdb5000":
        from core.catalog.importers.imdb5000 import import_imdb5000
        result = import_imdb5000(args.path, progress=progress)
    else:
        from core.catalog.importers.movielens import import_movielens
        result = import_movielens(args.path, progress=progress)
    path = save_import(result, args.catalog)
    summary = {**_import_summary(args.catalog, result), "path": str(path)}
    emit(summary, args.json, text=lambda s: "\n".join(
        [f"wrote catalog {s['catalog']} ({s['source']}) at {s['path']}",
         "rows: " + ", ".join(f"{t}={n}" for t, n in s["rows"].items()),
         "repairs: " + (", ".join(f"{k}={v}" for k, v in s["repairs"].items()) or "none")]))
    return 0


def _merge(args) -> int:
    from core.catalog import store
    from core.errors import MarqueeError
    from core.catalog.importers.base import save_import
    from core.catalog.merge import merge_catalogs

    base_name, other_name = resolve_catalog(args.base), resolve_catalog(args.other)
    if base_name == other_name:
        raise MarqueeError(f"BASE and OTHER are both {base_name!r}: merging a catalog with itself would double "
                           "its ratings; name two different catalogs")
    store.validate_name(args.into)
    base = store.load_catalog(base_name)
    other = store.load_catalog(other_name)
    result = merge_catalogs(base, other, progress=StderrProgress("merge"), year_tolerance=args.year_tolerance)
    path = save_import(result, args.into)
    report = {k: v for k, v in result.report.items() if not k.endswith("_report")}
    summary = {"catalog": args.into, "path": str(path), "rows": result.rows(), "report": report}
    emit(summary, args.json, text=lambda s: "\n".join(
        [f"wrote catalog {s['catalog']} at {s['path']}",
         f"matched {report['matched_base']}/{report['base_films']} base films ({report['match_rate_base']:.1%}), "
         f"{report['matched_other']}/{report['other_films']} other films ({report['match_rate_other']:.1%})",
         "by method: " + ", ".join(f"{k}={v}" for k, v in report["by_method"].items()),
         "filled: " + ", ".join(f"{f['column']}={f['films']}" for f in report["filled"]),
         f"ratings added: {report['ratings_added']} (dropped, film not matched: {report['ratings_dropped_unmatched_film']})"]))
    return 0
