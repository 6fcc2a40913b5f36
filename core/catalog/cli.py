"""Catalog commands: catalogs, demo, import, merge, profile, splits, verify."""
from __future__ import annotations

import argparse

from core.cli import add_json_flag, emit, resolve_catalog
from core.progress import StderrProgress


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("catalogs", help="list catalogs and mark the active one")
    p.add_argument("--activate", metavar="NAME", help="make NAME the active catalog")
    add_json_flag(p)
    p.set_defaults(handler=_catalogs)

    p = subparsers.add_parser("demo", help="build the deterministic synthetic demo catalog")
    p.add_argument("--catalog", default="demo", help="catalog name (default: demo)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--movies", type=int, default=3000, help="number of films (default 3000)")
    add_json_flag(p)
    p.set_defaults(handler=_demo)

    p = subparsers.add_parser("profile", help="recompute and print a catalog's data profile")
    p.add_argument("--catalog")
    add_json_flag(p)
    p.set_defaults(handler=_profile)

    p = subparsers.add_parser("verify", help="check every file of a catalog against checksums.txt")
    p.add_argument("--catalog")
    add_json_flag(p)
    p.set_defaults(handler=_verify)

    p = subparsers.add_parser("splits", help="write time-based train/valid/test splits by release year")
    p.add_argument("--catalog")
    p.add_argument("--train-until", type=int, required=True, help="last year of the training split")
    p.add_argument("--valid-until", type=int, required=True, help="last year of the validation split")
    add_json_flag(p)
    p.set_defaults(handler=_splits)


def _catalogs(args) -> int:
    from core.catalog import store

    if args.activate:
        store.set_active(args.activate)
    active = store.get_active()
    rows = []
    for name in store.list_catalogs():
        manifest = store.read_manifest(name)
        rows.append({"name": name, "active": name == active, "synthetic": manifest.get("synthetic", False),
                     "source": manifest.get("source"), "row_counts": manifest.get("row_counts", {}),
                     "created_at": manifest.get("created_at")})
    emit(rows, args.json, text=lambda rs: "\n".join(
        f"{'*' if r['active'] else ' '} {r['name']:<24} {r['row_counts'].get('movies', 0):>7} films  "
        f"{'synthetic ' if r['synthetic'] else ''}{r['source']}" for r in rs) or "no catalogs yet")
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
