"""A run shows its results as pictures: the plots of its test split and its learning curves in
`<run>/plots/`, and `<run>/report.html`, one page that holds them and opens offline."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
import torch
from matplotlib import pyplot
from matplotlib.image import imread

from {{ cookiecutter.package_name }} import commands
from {{ cookiecutter.package_name }}.plots.callback import Plots
from {{ cookiecutter.package_name }}.training.cli import main
from {{ cookiecutter.package_name }}.training.runs import run_dir

from .browser import inked_share
from .conftest import TrainedRun
from .tiny_data import TEST_FIGURES

PLOTS = ("learning_curves", *TEST_FIGURES)


def drawn(folder: Path) -> list[str]:
    return sorted(path.stem for path in folder.glob("*.png"))


def test_a_run_leaves_its_plots_and_a_report_that_holds_them(trained_run: TrainedRun) -> None:
    plots = trained_run.folder / "plots"
    assert drawn(plots) == sorted(PLOTS)
    report = (trained_run.folder / "report.html").read_text()
    for name in PLOTS:
        pixels = imread(plots / f"{name}.png")[..., :3]
        assert min(pixels.shape[:2]) >= 200, name
        assert pixels.std() > 0.05, f"{name}.png is blank"
        assert base64.b64encode((plots / f"{name}.png").read_bytes()).decode() in report, name
    test_metrics = {
        name: float(value)
        for name, value in trained_run.cli.trainer.callback_metrics.items()
        if name.startswith("test/")
    }
    assert test_metrics
    for name, value in test_metrics.items():
        assert f"<th>{name.removeprefix('test/')}</th><td>{value:.4g}</td>" in report
    for split, size in trained_run.cli.datamodule.split_indices._asdict().items():
        assert f"<th>{split}</th><td>{len(size)}</td>" in report
    assert "max_epochs: 2" in report  # the run's config
    # Self-contained: nothing to fetch, nothing to run.
    assert "<script" not in report and 'src="http' not in report and "<link" not in report
    # The learning curves are kept with the checkpoints: both epochs, train and val.
    last = torch.load(trained_run.folder / "checkpoints" / "last.ckpt", weights_only=True)
    history = last["callbacks"]["Plots"]["history"]
    assert [row["epoch"] for row in history] == [0, 1]
    assert all({"train/loss", "val/loss"} <= set(row) for row in history)


def test_report_draws_a_finished_run_again_and_leaves_no_figure_open(trained_run: TrainedRun, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(trained_run.folder, run)
    shutil.rmtree(run / "plots")
    (run / "report.html").unlink()
    open_figures = pyplot.get_fignums()
    commands.main(["report", "--run", str(run)])
    assert pyplot.get_fignums() == open_figures
    assert drawn(run / "plots") == sorted(PLOTS)
    assert f"tested: {run / 'checkpoints' / 'best.ckpt'}" in (run / "report.html").read_text()


def test_report_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"--run .*config\.yaml"):
        commands.main(["report", "--run", str(tmp_path)])
    (tmp_path / "config.yaml").write_text("{}")
    with pytest.raises(FileNotFoundError, match=r"--ckpt_path last: .*last\.ckpt does not exist"):
        commands.main(["report", "--run", str(tmp_path), "--ckpt_path", "last"])


def test_validation_figures_are_drawn_every_n_epochs_when_asked(data_args: list[str]) -> None:
    cli = main([*data_args, "--trainer.max_epochs", "2", "--trainer.enable_progress_bar", "false"], run=False)
    (plots,) = [callback for callback in cli.trainer.callbacks if isinstance(callback, Plots)]
    assert plots.val_every_n_epochs == 0  # off by default
    plots.val_every_n_epochs = 2
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    folder = run_dir(cli.trainer) / "plots"
    assert sorted(path.name for path in folder.glob("val-epoch-*")) == ["val-epoch-2"]
    assert drawn(folder / "val-epoch-2") == sorted(TEST_FIGURES)


def test_the_report_shows_in_a_browser(trained_run: TrainedRun, tmp_path: Path) -> None:
    page = (trained_run.folder / "report.html").read_text()
    inked = {
        name: inked_share(html, tmp_path, name)
        for name, html in (("report", page), ("without_plots", page.split("<h2>Plots")[0]))
    }
    # The plots fill much of the page.
    assert inked["report"] > 0.1
    assert inked["report"] > 5 * inked["without_plots"], inked
