"""The tabular classification data: classes and their loss weights from the target column; bad labels
named in the errors; the bundled wine data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.data import TabularClassificationDataModule
from {{ cookiecutter.package_name }}.data.bundled import write_bundled_csv
from {{ cookiecutter.package_name }}.data.splitting import Split, SplitIndices
from {{ cookiecutter.package_name }}.training.cli import main

from .conftest import DefaultBuild, TrainedRun
from .tiny_data import TARGET, tiny_frame
from .tiny_table import FILE_NAME, ID_COLUMN


class SplitColumn(Split):
    """The split of the `split` column, whatever strategy the project was rendered with."""

    def assign(self, sample_ids: Sequence[str], labels: Sequence[Hashable]) -> SplitIndices:
        parts = [sample_id.split("/")[0] for sample_id in sample_ids]
        return SplitIndices(*([i for i, part in enumerate(parts) if part == name] for name in ("train", "val", "test")))


def datamodule_of(path: Path, frame: pd.DataFrame) -> TabularClassificationDataModule:
    """A data module on `frame`, written to `path`, split by its `split` column."""
    frame.to_csv(path, index=False)
    return TabularClassificationDataModule(SplitColumn(), csv_path=str(path), id_column=ID_COLUMN)


def with_labels(labels: Sequence[object]) -> pd.DataFrame:
    frame = tiny_frame().astype(object)
    frame[TARGET] = list(labels)
    return frame


def test_classes_and_their_weights_come_from_the_training_rows(data_args: list[str]) -> None:
    datamodule = main(data_args, run=False).datamodule
    assert datamodule.class_names == ["class_0", "class_1", "class_2"]
    train_labels = datamodule.labels(datamodule.split_indices.train)
    counts = Counter(train_labels)
    expected = [len(train_labels) / (len(counts) * counts[c]) for c in range(len(datamodule.class_names))]
    assert datamodule.class_weights == pytest.approx(expected)
    assert all(type(weight) is float for weight in datamodule.class_weights)
    datamodule.setup("fit")
    _, label = datamodule.train_dataset[0]
    assert datamodule.class_names[int(label)] == tiny_frame()[TARGET].iloc[datamodule.split_indices.train[0]]


def test_integer_labels_are_sorted_as_numbers(tmp_path: Path) -> None:
    numbers = {"class_0": "10", "class_1": "2.0", "class_2": "03"}
    datamodule = datamodule_of(tmp_path / FILE_NAME, with_labels(tiny_frame()[TARGET].map(numbers)))
    assert datamodule.class_names == ["2", "3", "10"]
    assert datamodule.label_names[0] == "10"


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (lambda labels: [0.5 * i for i in range(len(labels))], r"row 1 \(line 3\) holds '0\.5' in target column"),
        (lambda labels: ["cat"] * len(labels), r"Target column 'target' of .* has one class only \(cat\)"),
        (lambda labels: [None, *labels[1:]], r"row 0 \(line 2\) has no value in column 'target'"),
        (lambda labels: [*labels[:-1], "fish"], r"The training split of .* has no samples of class 'fish'"),
    ],
    ids=["fractions", "one-class", "empty-label", "class-not-in-training"],
)
def test_bad_labels_are_named(tmp_path: Path, labels: object, message: str) -> None:
    datamodule = datamodule_of(tmp_path / "bad.csv", with_labels(labels(tiny_frame()[TARGET].tolist())))
    with pytest.raises(ValueError, match=message):
        _ = datamodule.class_weights


def test_evaluating_a_checkpoint_refuses_classes_it_does_not_know(
    trained_run: TrainedRun, data_args: list[str], tmp_path: Path
) -> None:
    renamed = tmp_path / FILE_NAME
    with_labels(tiny_frame()[TARGET].replace("class_1", "zebra")).to_csv(renamed, index=False)
    checkpoint = str(trained_run.folder / "checkpoints" / "best.ckpt")
    with pytest.raises(
        ValueError, match=r"class 'zebra' .*, which the model does not know: its classes are 'class_0', "
    ):
        main(["test", *data_args, "--data.csv_path", str(renamed), "--ckpt_path", checkpoint])


def test_bundled_wine_is_written_once_and_used_by_default(
    default_build: DefaultBuild, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(default_build.workdir)
    datamodule = default_build.cli.datamodule
    assert datamodule.class_names == ["class_0", "class_1", "class_2"]
    assert datamodule.vocabularies == {"alcohol_level": ["high", "low", "mid"]}
    assert len(datamodule.numeric_columns) == 12
    assert Counter(sample_id.split("/")[0] for sample_id in datamodule.sample_ids) == {
        "train": 124,
        "val": 27,
        "test": 27,
    }
    stamp = datamodule.csv_path.stat().st_mtime_ns
    write_bundled_csv(datamodule.csv_path)
    assert datamodule.csv_path.stat().st_mtime_ns == stamp
    assert sorted(path.name for path in datamodule.csv_path.parent.iterdir()) == ["cache", "wine.csv"]
