"""`cv`: every fold fitted in the cross-validation's own folder, scored on the fold it held out, and
resumed where it stopped."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.commands import main
from {{ cookiecutter.package_name }}.training import kfold

from .browser import inked_share
from .conftest import stopped_before


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as file:
        return list(csv.DictReader(file))


def test_a_cross_validation_predicts_every_non_test_sample_once_and_resumes_where_it_stopped(
    data_args: list[str], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = [*data_args, "--data.split.init_args.num_folds", "2", "--trainer.max_epochs", "1"]
    with stopped_before(monkeypatch, kfold, "fold_1"):
        main(["cv", "--name", "first", *args])
    fold_0_runs = sorted(isolated.glob("runs/cv/first/fold_0/**/run.yaml"))

    folder = main(["cv", "--name", "first", *args])

    assert folder == Path("runs/cv/first")
    assert sorted(isolated.glob("runs/cv/first/fold_0/**/run.yaml")) == fold_0_runs  # kept, not fitted again
    splits = read_csv(next((folder / "fold_0").rglob("splits.csv")))
    non_test = sorted(row["sample"] for row in splits if row["split"] != "test")
    predictions = read_csv(folder / "out_of_fold_predictions.csv")
    assert sorted(row["sample"] for row in predictions) == non_test
    for row in splits:  # each sample predicted by the fold that held it out
        if row["split"] == "val":
            assert next(p["fold"] for p in predictions if p["sample"] == row["sample"]) == "0"
    summary = {row["fold"]: row for row in read_csv(folder / "summary.csv")}
    assert list(summary) == ["0", "1", "mean", "std", "ensemble"]
    scored = [name for name in summary["0"] if name.startswith("out_of_fold/")]
    assert scored and any(name.startswith("test/") for name in summary["ensemble"] if summary["ensemble"][name])
    for name in scored:
        per_fold = [float(summary[fold][name]) for fold in ("0", "1")]
        assert float(summary["mean"][name]) == pytest.approx(statistics.mean(per_fold))
        assert float(summary["std"][name]) == pytest.approx(statistics.stdev(per_fold))
    page = (folder / "report.html").read_text()
    assert "Cross-validation first" in page
    # The spread and the out-of-fold figures fill much of the page.
    assert inked_share(page, isolated, "cv_report") > 2 * inked_share(
        page.split('<div class="plots">')[0], isolated, "cv_table"
    )


def test_cross_validations_do_not_overwrite_each_other(
    data_args: list[str], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = [*data_args, "--data.split.init_args.num_folds", "2", "--trainer.max_epochs", "1"]
    with stopped_before(monkeypatch, kfold, "fold_1"):  # each fits its first fold: enough to overwrite
        main(["cv", *args])
    (first_record,) = isolated.glob("runs/cv/version_0/fold_0/**/run.yaml")
    recorded = first_record.read_text()
    with stopped_before(monkeypatch, kfold, "fold_1"):
        main(["cv", *args])
    assert len(list(isolated.glob("runs/cv/version_1/fold_0/**/run.yaml"))) == 1
    assert sorted(path.name for path in (isolated / "runs/cv").iterdir()) == ["version_0", "version_1"]
    assert first_record.read_text() == recorded
