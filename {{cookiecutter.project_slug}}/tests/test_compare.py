"""`compare`: runs side by side from their folders alone."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from {{ cookiecutter.package_name }}.commands import main
from {{ cookiecutter.package_name }}.training.runs import run_dir

from .browser import inked_share
from .conftest import TrainedRun


def test_compare_shows_the_options_that_differ_and_needs_no_logger_nor_checkpoint(
    trained_run: TrainedRun, data_args: list[str], tmp_path: Path
) -> None:
    other = main(["fit", *data_args, "--trainer.logger", "false", "--trainer.max_epochs", "1"])
    second = run_dir(other.trainer)
    shutil.rmtree(second / "checkpoints")

    page = main(["compare", str(trained_run.folder), str(second), "--output_dir", str(tmp_path / "out")])

    with (tmp_path / "out" / "comparison.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert rows[0]["run"] == str(trained_run.folder)
    assert second.as_posix().endswith(rows[1]["run"])  # under the runs folder: named from there
    assert "trainer.max_epochs" in rows[0] and [row["trainer.max_epochs"] for row in rows] == ["2", "1"]
    assert not [name for name in rows[0] if name.startswith(("data.", "seed_everything"))]  # the same in both
    assert all(row["test/loss"] for row in rows)
    assert [row["checkpoints"] for row in rows] == ["best.ckpt last.ckpt", "gone"]
    text = page.read_text()
    assert text.count("data:image/png;base64,") == 1  # the learning curves, inside the page
    assert "<script" not in text and 'src="http' not in text
    assert not list((tmp_path / "out").glob("*.png"))
    inked = inked_share(text, tmp_path, "comparison")
    assert inked > 2 * inked_share(text.split("<h2>Learning curves")[0], tmp_path, "table_only"), inked
