"""A checkpoint knows what it trained and validated on, and is not evaluated on it without a word."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch

from {{ cookiecutter.package_name }}.data import overlap
from {{ cookiecutter.package_name }}.data.overlap import RECORD_KEY, shared_samples, split_record
from {{ cookiecutter.package_name }}.training.cli import main

from .conftest import TrainedRun


def split_ids(run: Path) -> dict[str, list[str]]:
    """Each split's samples, as the run's splits.csv lists them."""
    ids: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    with (run / "splits.csv").open() as file:
        for row in csv.DictReader(file):
            ids[row["split"]].append(row["sample"])
    return ids


def test_a_checkpoint_records_the_samples_it_trained_and_validated_on(trained_run: TrainedRun) -> None:
    ids = split_ids(trained_run.folder)
    saved = torch.load(trained_run.folder / "checkpoints" / "best.ckpt", map_location="cpu", weights_only=True)
    record = saved[RECORD_KEY]
    for split in ("train", "val"):
        assert record[split]["count"] == len(ids[split])
        assert shared_samples(record[split], ids[split]) == len(ids[split])
    assert shared_samples(record["train"], ids["test"] + ids["val"]) == 0
    assert shared_samples(record["val"], ids["test"]) == 0


def test_a_test_on_samples_the_checkpoint_trained_on_is_refused_unless_allowed(
    trained_run: TrainedRun, data_args: list[str], tmp_path: Path
) -> None:
    # As if the data had changed since the run: some of today's test samples were among its training samples.
    ids = split_ids(trained_run.folder)
    seen = ids["test"][: max(1, len(ids["test"]) // 2)]
    saved = torch.load(trained_run.folder / "checkpoints" / "best.ckpt", map_location="cpu", weights_only=True)
    saved[RECORD_KEY]["train"] = split_record(ids["train"] + seen)
    checkpoint = tmp_path / "changed.ckpt"
    torch.save(saved, checkpoint)
    args = ["test", *data_args, "--ckpt_path", str(checkpoint), "--trainer.enable_progress_bar", "false"]
    expected = rf"{len(seen)} of the {len(ids['test'])} test samples were train samples of this checkpoint"
    with pytest.raises(ValueError, match=rf"^test --ckpt_path {checkpoint}: {expected}"):
        main(args)
    with pytest.warns(UserWarning, match=expected):
        cli = main([*args, "--allow_overlap", "true"])
    assert cli.trainer.callback_metrics["test/loss"] >= 0


def test_the_overlap_of_a_split_larger_than_the_record_keeps_is_estimated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(overlap, "KEPT_HASHES", 2_000)
    trained = [f"row-{number}" for number in range(10_000)]
    record = split_record(trained)
    assert len(record["hashes"]) == 2_000
    evaluated = trained[:3_000] + [f"new-{number}" for number in range(3_000)]
    assert shared_samples(record, evaluated) == pytest.approx(3_000, rel=0.15)
    assert shared_samples(record, evaluated[3_000:]) == 0
