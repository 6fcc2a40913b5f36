"""Catalog benchmark: import all Wikipedia decades, IMDB-5000, MovieLens, merge, demo generation.

Each step runs in its own Python process so its peak memory (``ru_maxrss``) is its own; the
baseline (interpreter + pandas/pyarrow imported) is measured the same way and reported beside it.
Catalogs go to a temporary folder, never to ``data/``. Results: ``benchmarks/results/catalog.json``.

    python benchmarks/bench_catalog.py [--shared-data ../shared/data] [--repeat 1]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "catalog.json"
STEPS = ("baseline", "import_wikipedia", "import_imdb5000", "merge_wiki_imdb", "import_ml100k",
         "import_ml_small", "merge_wiki_imdb_ml_small", "demo")


def _maxrss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


def _run_step(step: str, shared: Path, data_dir: Path) -> dict:
    """Runs inside the child process; returns timings, rows and peak memory."""
    sys.path.insert(0, str(ROOT))
    import pandas  # noqa: F401  (part of the baseline)
    import pyarrow  # noqa: F401

    from core.catalog import store
    from core.catalog.importers.base import save_import

    out: dict = {"step": step}
    if step == "baseline":
        out["peak_rss_mb"] = round(_maxrss_mb(), 1)
        return out
    if step == "demo":
        try:
            from core.catalog.demo import build_demo_catalog
        except ImportError as exc:
            return {**out, "skipped": f"core.catalog.demo not available ({exc})"}
        start = time.perf_counter()
        summary = build_demo_catalog("demo", data_dir=data_dir)
        out.update(seconds_total=round(time.perf_counter() - start, 3),
                   rows=store.read_manifest("demo", data_dir)["row_counts"], summary_keys=sorted(summary))
        out["peak_rss_mb"] = round(_maxrss_mb(), 1)
        return out

    start = time.perf_counter()
    if step == "import_wikipedia":
        from core.catalog.importers.wikipedia import import_wikipedia
        result, name = import_wikipedia(shared / "wikipedia-movies"), "wiki"
    elif step == "import_imdb5000":
        from core.catalog.importers.imdb5000 import import_imdb5000
        result, name = import_imdb5000(shared / "imdb-5000" / "movie_metadata.csv"), "imdb5000"
    elif step == "import_ml100k":
        from core.catalog.importers.movielens import import_movielens
        result, name = import_movielens(shared / "ml-100k"), "ml100k"
    elif step == "import_ml_small":
        from core.catalog.importers.movielens import import_movielens
        result, name = import_movielens(shared / "ml-latest-small"), "ml_small"
    else:
        from core.catalog.merge import merge_catalogs
        base_name, other_name, name = {"merge_wiki_imdb": ("wiki", "imdb5000", "wiki_imdb"),
                                       "merge_wiki_imdb_ml_small": ("wiki_imdb", "ml_small", "wiki_imdb_ml")}[step]
        load_start = time.perf_counter()
        base = store.load_catalog(base_name, data_dir=data_dir)
        other = store.load_catalog(other_name, data_dir=data_dir)
        out["seconds_load_inputs"] = round(time.perf_counter() - load_start, 3)
        start = time.perf_counter()
        result = merge_catalogs(base, other)
        out["match"] = {k: result.report[k] for k in ("matched_base", "matched_other", "match_rate_base",
                                                      "match_rate_other", "by_method")}
        if result.report.get("ratings_added"):
            out["match"]["ratings_added"] = result.report["ratings_added"]
    out["seconds_transform"] = round(time.perf_counter() - start, 3)
    write_start = time.perf_counter()
    save_import(result, name, data_dir=data_dir)
    out["seconds_write"] = round(time.perf_counter() - write_start, 3)
    out["seconds_total"] = round(out["seconds_transform"] + out["seconds_write"], 3)
    out["rows"] = result.rows()
    if "repairs" in result.report:
        out["repairs"] = result.report["repairs"]
    out["peak_rss_mb"] = round(_maxrss_mb(), 1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.step:  # child mode
        print(json.dumps(_run_step(args.step, args.shared_data.resolve(), args.data_dir)))
        return 0
    if not (args.shared_data / "wikipedia-movies").exists():
        print(f"error: real data not found at {args.shared_data}", file=sys.stderr)
        return 2
    results = []
    load_before = [round(x, 2) for x in os.getloadavg()]  # other work on the machine inflates timings
    with tempfile.TemporaryDirectory(prefix="marquee-bench-") as tmp:
        env = {**os.environ, "MARQUEE_DATA_DIR": tmp}
        for step in STEPS:
            proc = subprocess.run([sys.executable, __file__, "--step", step, "--data-dir", tmp,
                                   "--shared-data", str(args.shared_data)], env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                print(f"error: step {step} failed", file=sys.stderr)
                return 1
            entry = json.loads(proc.stdout.strip().splitlines()[-1])
            results.append(entry)
            shown = {k: v for k, v in entry.items() if k not in ("repairs", "summary_keys")}
            print(json.dumps(shown), flush=True)
    payload = {"benchmark": "catalog", "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               "machine": {"python": platform.python_version(), "platform": platform.platform(),
                           "cpus": os.cpu_count(), "load_average_before": load_before,
                           "load_average_after": [round(x, 2) for x in os.getloadavg()]},
               "steps": results}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
