"""The tabular regressor: target units, the unknown category, checkpoints that outlive the split."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from lightning.pytorch import Trainer

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.data import LINKED_TO_MODEL, TabularRegressionDataModule
from {{ cookiecutter.package_name }}.data.splitting import Split, SplitIndices
from {{ cookiecutter.package_name }}.models import TabularRegressor
from {{ cookiecutter.package_name }}.runs import run_dir

from .conftest import TrainedRun
from .tiny_data import FILE_NAME, TARGET


def small_model(**overrides: object) -> TabularRegressor:
    arguments = {
        "num_features": 2,
        "feature_mean": [1.0, -2.0],
        "feature_std": [2.0, 0.5],
        "target_mean": 150.0,
        "target_std": 40.0,
        "category_sizes": [4],
        **overrides,
    }
    return TabularRegressor(**arguments)


def inputs(batch: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(batch, 2), torch.tensor([[0], [1], [3]][:batch])


def test_predictions_are_in_the_target_units() -> None:
    model = small_model().eval()
    last = model.network[-1]
    torch.nn.init.zeros_(last.weight)
    torch.nn.init.constant_(last.bias, 0.5)
    with torch.no_grad():
        assert model.normalized(inputs()).tolist() == pytest.approx([0.5] * 3)
        assert model(inputs()).tolist() == pytest.approx([150.0 + 0.5 * 40.0] * 3)
        predictions = model(inputs())
    # The loss compares standardized values: a prediction of the target itself costs nothing,
    # and a miss by one target standard deviation costs 1, whatever the units.
    assert model.loss(predictions, torch.full((3,), 170.0)).item() == pytest.approx(0.0)
    assert model.loss(predictions, torch.full((3,), 170.0 + 40.0)).item() == pytest.approx(1.0)


def test_numbers_are_scaled_with_the_linked_statistics() -> None:
    model = small_model(category_sizes=[])
    model.network = torch.nn.Identity()
    output = model.normalized((torch.tensor([[3.0, -1.0]]), torch.zeros(1, 0, dtype=torch.long)))
    assert output[0].tolist() == pytest.approx([1.0, 2.0])
    assert {"feature_mean", "feature_std", "target_mean", "target_std"} <= set(model.state_dict())


def test_unknown_category_has_its_own_embedding_row() -> None:
    model = small_model()
    assert model.embeddings[0].num_embeddings == 4
    assert model(inputs()).shape == (3,)


def test_statistics_must_match_the_features() -> None:
    with pytest.raises(ValueError, match="num_features=3, but feature_mean has 2 values"):
        small_model(num_features=3)


class ChosenSplit(Split):
    """A split for the test: `seed` shuffles the rows; `hold_out_blue` keeps every blue row
    (row number % 3 == 2 in the tiny data) out of training."""

    def __init__(self, seed: int, hold_out_blue: bool = False) -> None:
        self.seed = seed
        self.hold_out_blue = hold_out_blue

    def assign(self, sample_ids: Sequence[str], labels: Sequence[int]) -> SplitIndices:
        order = np.random.default_rng(self.seed).permutation(len(sample_ids)).tolist()
        val, test, train = order[:9], order[9:18], order[18:]
        if self.hold_out_blue:
            test += [i for i in train if i % 3 == 2]
            train = [i for i in train if i % 3 != 2]
        return SplitIndices(sorted(train), sorted(val), sorted(test))


def predict_with(datamodule: TabularRegressionDataModule, checkpoint: Path | None) -> torch.Tensor:
    """Predict as `predict --ckpt_path` does: the model gets the data module's linked values."""
    model = TabularRegressor(**{name: getattr(datamodule, name) for name in LINKED_TO_MODEL})
    trainer = Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False)
    return torch.cat(trainer.predict(model, datamodule=datamodule, ckpt_path=checkpoint))


def test_checkpoint_predicts_the_same_whatever_the_split_now(
    trained_run: TrainedRun, data_args: list[str], data_dir: Path
) -> None:
    checkpoint = trained_run.folder / "checkpoints" / "best.ckpt"
    csv_path = str(data_dir / FILE_NAME)
    reference = main([*data_args, "--data.predict_path", csv_path], run=False).datamodule
    expected = predict_with(reference, checkpoint)
    for split in (ChosenSplit(seed=1), ChosenSplit(seed=2), ChosenSplit(seed=3, hold_out_blue=True)):
        moved = TabularRegressionDataModule(
            split, csv_path=csv_path, target_column=TARGET, batch_size=8, predict_path=csv_path
        )
        # The new split fits other statistics (and, holding out blue, a smaller vocabulary) ...
        assert moved.feature_mean != pytest.approx(reference.feature_mean)
        assert moved.target_mean != pytest.approx(reference.target_mean)
        assert (moved.category_sizes != reference.category_sizes) == split.hold_out_blue
        # ... but the checkpoint brings back its own, so the predictions do not move.
        torch.testing.assert_close(predict_with(moved, checkpoint), expected)
        assert not torch.allclose(predict_with(moved, None), expected)


def test_predict_writes_target_units(trained_run: TrainedRun, data_args: list[str]) -> None:
    cli = main(["predict", *data_args, "--ckpt_path", str(trained_run.folder / "checkpoints" / "best.ckpt")])
    with (run_dir(cli.trainer) / "predictions.csv").open() as file:
        rows = list(csv.DictReader(file))
    dataset = cli.datamodule.predict_dataset
    assert [row["id"] for row in rows] == dataset.row_ids
    written = torch.tensor([float(row["prediction"]) for row in rows])
    model = cli.model.eval()
    with torch.no_grad():
        expected = torch.cat([model(batch[0]) for batch in cli.datamodule.predict_dataloader()])
    torch.testing.assert_close(written, expected)
    # The tiny targets lie around 50: normalised predictions would lie around 0.
    assert abs(written.mean().item() - cli.datamodule.target_mean) < 3 * cli.datamodule.target_std
    assert written.abs().min().item() > 10
