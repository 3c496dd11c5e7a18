"""predictions.csv gives each row's id and, where the predicted rows have the target column (the
test split; a file to predict that has it), its true target beside the prediction."""

from __future__ import annotations

import csv
from pathlib import Path

from {{ cookiecutter.package_name }}.training.cli import main
from {{ cookiecutter.package_name }}.training.runs import run_dir

from .conftest import TrainedRun
from .tiny_data import TARGET, TRUE_COLUMN, same_truth, tiny_frame, write_predict_inputs


def predictions(args: list[str]) -> list[dict[str, str]]:
    cli = main(["predict", *args, "--trainer.enable_progress_bar", "false"])
    with (run_dir(cli.trainer) / "predictions.csv").open() as file:
        return list(csv.DictReader(file))


def test_predictions_give_the_true_target_where_the_rows_have_it(
    trained_run: TrainedRun, data_args: list[str], tmp_path: Path
) -> None:
    checkpoint = ["--ckpt_path", str(trained_run.folder / "checkpoints" / "best.ckpt")]
    datamodule = trained_run.cli.datamodule
    test = datamodule.split_indices.test
    # The test split.
    rows = predictions([*data_args, *checkpoint])
    assert list(rows[0])[:2] == ["row_id", TRUE_COLUMN]
    assert [row["row_id"] for row in rows] == [datamodule.table.row_ids[i] for i in test]
    same_truth([row[TRUE_COLUMN] for row in rows], datamodule, test)
    # A file to predict with the target column, one of its cells empty: the cells as the file writes them.
    frame = tiny_frame().drop(columns="split").head(5).astype({TARGET: str})
    frame.loc[frame.index[1], TARGET] = ""
    path = tmp_path / "labelled.csv"
    frame.to_csv(path, index=False)
    rows = predictions([*data_args, *checkpoint, "--data.predict_path", str(path)])
    assert [row[TRUE_COLUMN] for row in rows] == frame[TARGET].tolist()
    # Without it: the column is there, empty.
    predict_args, _, _ = write_predict_inputs(tmp_path / "inputs")
    rows = predictions([*data_args, *checkpoint, *predict_args])
    assert rows and all(row[TRUE_COLUMN] == "" for row in rows)
