"""`repeat`: one config over several seeds, in a folder of its own, with the spread of its metrics."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.commands import main
from {{ cookiecutter.package_name }}.training import repeat

from .conftest import stopped_before


def test_a_repeat_fits_each_seed_once_goes_on_where_it_stopped_and_gives_the_spread(
    data_args: list[str], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["repeat", "--seeds", "3,4", "--name", "seeds", *data_args, "--trainer.max_epochs", "1"]
    with stopped_before(monkeypatch, repeat, "seed_4"):
        main(args)
    first_seed_runs = sorted(isolated.glob("runs/repeats/seeds/seed_3/**/run.yaml"))

    folder = main(args)

    assert folder == Path("runs/repeats/seeds")
    assert sorted(isolated.glob("runs/repeats/seeds/seed_3/**/run.yaml")) == first_seed_runs  # kept
    with (folder / "summary.csv").open() as file:
        summary = {row["seed"]: row for row in csv.DictReader(file)}
    assert list(summary) == ["3", "4", "mean", "std"]
    for name in [name for name in summary["3"] if name.startswith("test/")]:
        per_seed = [float(summary[seed][name]) for seed in ("3", "4")]
        assert float(summary["mean"][name]) == pytest.approx(statistics.mean(per_seed))
        assert float(summary["std"][name]) == pytest.approx(statistics.stdev(per_seed))
    with (folder / "comparison.csv").open() as file:
        compared = list(csv.DictReader(file))
    assert [row["seed_everything"] for row in compared[:2]] == ["3", "4"]  # the one option that differs
    assert [row["run"] for row in compared[2:]] == ["mean", "std"]
    assert "mean" in (folder / "report.html").read_text()


def test_seeds_that_are_not_numbers_are_named() -> None:
    with pytest.raises(ValueError, match=r"^--seeds 0,one: give whole numbers"):
        main(["repeat", "--seeds", "0,one"])
