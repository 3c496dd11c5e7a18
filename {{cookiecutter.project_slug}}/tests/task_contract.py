"""What every task gives the shared code and the shared tests, declared once: its model implements
`models.supervised.SupervisedModule`'s abstract methods; its data package exports the data module and
the linked names; its `tests/tiny_data.py` is a `TinyData` (test_task_contract.py checks all three)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol


class TinyData(Protocol):
    """The names a task's `tests/tiny_data.py` defines, and which shared test uses each."""

    # The figures `plots.callback.Plots` draws of the test split, besides the learning curves (test_plots).
    TEST_FIGURES: tuple[str, ...]

    @staticmethod
    def write_tiny_dataset(root: Path) -> list[str]:
        """Write a few samples per split under `root`; return the `fit` arguments that read them (conftest)."""
        ...

    @staticmethod
    def write_predict_inputs(folder: Path) -> tuple[list[str], list[Any], list[dict[str, Any]]]:
        """Inputs to predict, unlike the training ones, three ways in the same order: the `predict`
        subcommand's arguments, sources for `model.predict`, request bodies for `serve` (test_deploy,
        test_readme, test_gpu)."""
        ...

    @staticmethod
    def same_prediction(row: dict[str, str], answer: dict[str, Any]) -> None:
        """Assert that a row of predictions.csv and the Python API's answer for that input agree (test_deploy)."""
        ...

    @staticmethod
    def bad_requests() -> list[tuple[dict[str, Any], str]]:
        """Request bodies that `serve` refuses with a 4xx status, each with what its message says (test_deploy)."""
        ...
