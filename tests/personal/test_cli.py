"""`python -m core personal label|train|predict` end to end on real MovieLens labels."""
from __future__ import annotations

import json

from core.cli import main

GRID = '{"max_depth": [2], "n_estimators": [80]}'


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse refuses bad option values this way
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_label_train_predict_cli(capsys, ml100k_catalog, ml100k_user, tmp_path):
    common = ["--profile", "cli-user", "--catalog", "ml100k"]
    code, out, _ = run(capsys, "personal", "label", *common, "--from-user", str(ml100k_user), "--json")
    assert code == 0 and json.loads(out)["imported"] >= 150

    code, out, err = run(capsys, "personal", "train", *common, "--grid", GRID, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert 0.5 < report["metrics"]["roc_auc"] <= 1 and "pr_auc" in report["metrics"]
    assert report["metrics"]["confusion_matrix"]["labels"] == ["would_not_watch", "would_watch"]

    code, out, _ = run(capsys, "personal", "predict", *common, "--top", "5", "--json")
    ranked = json.loads(out)
    assert code == 0 and [r["rank"] for r in ranked] == [1, 2, 3, 4, 5]
    movie = ranked[0]["movie_id"]
    code, out, _ = run(capsys, "personal", "predict", *common, "--movie", str(movie))
    assert code == 0 and "P(would watch)" in out

    code, out, _ = run(capsys, "personal", "label", *common, "--movie", str(movie), "--as", "no", "--json")
    assert json.loads(out)["label"] == "would_not_watch"
    code, out, _ = run(capsys, "personal", "predict", *common, "--top", "50", "--json")
    assert movie not in {r["movie_id"] for r in json.loads(out)}  # declined titles leave the list
    code, out, _ = run(capsys, "personal", "label", *common, "--undo", "--json")
    assert json.loads(out) == {"undone": "would_not_watch", "movie_id": movie, "label_now": None}

    code, out, _ = run(capsys, "personal", "label", *common, "--next", "-n", "3", "--strategy", "uncertain", "--json")
    assert code == 0 and len(json.loads(out)) == 3 and "unsure" in json.loads(out)[0]["why"]

    code, out, _ = run(capsys, "personal", "label", *common, "--export-csv", "-")
    assert out.splitlines()[0] == "movie_id,label,labeled_at,title" and len(out.splitlines()) > 150

    bad = tmp_path / "bad.csv"
    bad.write_text("movie_id,label\n1,would_watch\n2,maybe\n", encoding="utf-8")
    code, _, err = run(capsys, "personal", "label", "--profile", "fresh", "--catalog", "ml100k", "--import-csv", str(bad))
    assert code == 2 and "bad.csv line 3, field label" in err
    code, out, _ = run(capsys, "personal", "label", "--profile", "fresh", "--catalog", "ml100k", "--json")
    assert json.loads(out)["labeled"] == 0

    code, _, err = run(capsys, "personal", "train", "--profile", "fresh", "--catalog", "ml100k")
    assert code == 2 and "no labels" in err


def test_from_user_refuses_non_finite_thresholds(capsys, demo_catalog):
    common = ["personal", "label", "--profile", "thresholds", "--catalog", "demo"]
    user = str(int(demo_catalog.ratings["user_id"].iloc[0]))
    for flag, value, field in [("--threshold", "nan", "threshold"), ("--threshold", "inf", "threshold"),
                               ("--many-threshold", "-inf", "many_threshold")]:
        code, _, err = run(capsys, *common, "--from-user", user, f"{flag}={value}")
        assert code == 2 and f"error: argument {flag}: must be a finite number, got '{value}'" in err
        assert "Traceback" not in err
    code, _, err = run(capsys, *common, "--from-user", user, "--threshold", "4", "--many-threshold", "3")
    assert code == 2 and "error: many_threshold: must be a finite number in [4, inf), got 3.0" in err
    code, out, _ = run(capsys, *common, "--json")
    assert json.loads(out)["labeled"] == 0  # nothing was written by the refused imports


def test_model_of_an_earlier_catalog_version_is_refused_clearly(capsys, isolated_dirs):
    from core.catalog.demo import build_demo_catalog

    build_demo_catalog("rebuilt", n_movies=150, seed=1)
    common = ["--profile", "stale", "--catalog", "rebuilt"]
    code, out, err = run(capsys, "personal", "label", *common, "--from-user", "1", "--threshold", "3.5", "--json")
    assert code == 0, err
    code, out, err = run(capsys, "personal", "train", *common, "--grid", GRID, "--folds", "3", "--json")
    assert code == 0, err
    code, out, _ = run(capsys, "personal", "predict", *common, "--top", "3", "--json")
    assert code == 0 and all(isinstance(r["title"], str) for r in json.loads(out))
    build_demo_catalog("rebuilt", n_movies=150, seed=2)  # same name, other films: the old model is stale
    code, out, err = run(capsys, "personal", "predict", *common, "--top", "3", "--json")
    assert code == 2 and out == "" and "Traceback" not in err
    assert "trained on an earlier version of catalog 'rebuilt'" in err and "personal train --profile stale" in err


def test_shared_model_from_the_command_line(capsys, isolated_dirs):
    from core.catalog.demo import build_demo_catalog

    build_demo_catalog("small", n_movies=150, seed=1)
    code, out, err = run(capsys, "personal", "train-shared", "--catalog", "small", "--combiner", "logistic", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["version"] == "v0001" and report["combiner"] == "logistic" and report["labelers"] > 20
    assert 0.5 < report["metrics"]["mean_user_auc"] <= 1
    common = ["--profile", "newcomer", "--catalog", "small"]
    for movie_id, answer in [(1, "yes"), (2, "no"), (3, "yes"), (4, "no"), (5, "yes"), (6, "yes")]:
        assert run(capsys, "personal", "label", *common, "--movie", str(movie_id), "--as", answer)[0] == 0
    code, out, err = run(capsys, "personal", "predict", *common, "--top", "5", "--json")  # auto: the shared model
    assert code == 0, err
    ranked = json.loads(out)
    assert [r["rank"] for r in ranked] == [1, 2, 3, 4, 5] and all(r["reason"] for r in ranked)
    assert not {r["movie_id"] for r in ranked} & {1, 2, 3, 4, 5, 6} and {r["flag"] for r in ranked} == {"ok"}
    code, out, _ = run(capsys, "personal", "predict", *common, "--movie", "7", "--json")
    assert code == 0 and 0 <= json.loads(out)[0]["p_watch"] <= 1
    code, _, err = run(capsys, "personal", "predict", *common, "--model", "profile")
    assert code == 2 and "no taste model of profile 'newcomer'" in err
    code, _, err = run(capsys, "personal", "train-shared", "--catalog", "small", "--combiner", "nope")
    assert code == 2 and "invalid choice" in err


def test_import_from_an_imdb_export_previews_then_writes(capsys, ml100k_catalog):
    from pathlib import Path

    export = str(Path(__file__).parent / "exports" / "imdb-ratings.csv")  # Toy Story, Heat, Usual Suspects + 1 unknown
    common = ["personal", "label", "--profile", "imdb-fan", "--catalog", "ml100k", "--import-from", export]
    code, out, err = run(capsys, *common)
    assert code == 0 and "preview only: add --yes" in err and "Toy Story" in err
    code, out, _ = run(capsys, "personal", "label", "--profile", "imdb-fan", "--catalog", "ml100k", "--json")
    assert json.loads(out)["labeled"] == 0  # a preview writes nothing
    code, out, err = run(capsys, *common, "--yes", "--json")
    result = json.loads(out)
    assert code == 0 and result["format"] == "imdb" and result["written"] == result["matched"] >= 2
    assert "A Film Nobody Made" in {row["title"] for row in result["unmatched"]}
    code, _, err = run(capsys, "personal", "label", "--profile", "imdb-fan", "--catalog", "ml100k",
                       "--import-from", "/proc/self/status")
    assert code == 2 and "error: --import-from" in err
