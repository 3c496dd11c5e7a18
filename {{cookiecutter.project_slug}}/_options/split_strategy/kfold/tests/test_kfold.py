"""Cross-validation fits every fold and reports each test metric's mean and spread."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import kfold


def test_every_fold_is_fitted_and_summarized(
    data_args: list[str], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    per_fold: dict[str, list[float]] = {}
    cross_validate = kfold.cross_validate
    monkeypatch.setattr(kfold, "cross_validate", lambda args: per_fold.update(cross_validate(args)) or per_fold)

    summary = kfold.main([*data_args, "--data.split.init_args.num_folds", "2", "--trainer.max_epochs", "1"])

    assert per_fold and all(len(values) == 2 for values in per_fold.values())
    for name, mean, std in summary:
        assert mean == pytest.approx(statistics.mean(per_fold[name]))
        assert std == pytest.approx(statistics.stdev(per_fold[name]))
    with (isolated / "runs" / "kfold_summary.csv").open() as file:
        rows = [(row["metric"], float(row["mean"]), float(row["std"])) for row in csv.DictReader(file)]
    assert [name for name, _, _ in rows] == [name for name, _, _ in summary]
    for (_, mean, std), (_, expected_mean, expected_std) in zip(rows, summary, strict=True):
        assert (mean, std) == pytest.approx((expected_mean, expected_std))
