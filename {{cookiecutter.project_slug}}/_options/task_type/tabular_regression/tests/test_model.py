"""The tabular regressor: predictions in the target's units, scaled in float32 under mixed precision;
a loss in units of the target's standard deviation."""

from __future__ import annotations

import pytest
import torch

from {{ cookiecutter.package_name }}.models import TabularRegressor

TARGET_MEAN, TARGET_STD = 1_000_000.0, 2000.0


def regressor(output: float) -> TabularRegressor:
    """A regressor that outputs `output`, the standardized target, whatever the row (its MLP's last
    layer and its linear path zeroed but for the bias)."""
    model = TabularRegressor(
        numeric_columns=["x", "y"],
        vocabularies={"colour": ["blue", "red"]},
        target_mean=TARGET_MEAN,
        target_std=TARGET_STD,
    ).eval()
    torch.nn.init.zeros_(model.network[-1].weight)
    torch.nn.init.constant_(model.network[-1].bias, output)
    torch.nn.init.zeros_(model.linear.weight)
    torch.nn.init.zeros_(model.linear.bias)
    return model


def test_predictions_are_in_the_targets_units_and_the_loss_in_its_standard_deviations() -> None:
    model = regressor(0.5)
    inputs = model.example_inputs(batch_size=3)
    predictions = model(inputs)
    assert predictions.tolist() == [TARGET_MEAN + 0.5 * TARGET_STD] * 3
    assert model.predict([{"x": 1.0, "y": 2.0, "colour": "green"}]) == [{"value": TARGET_MEAN + 0.5 * TARGET_STD}]
    assert model.loss(predictions, predictions).item() == 0.0
    assert model.loss(predictions, predictions + TARGET_STD).item() == pytest.approx(1.0)


def test_predictions_near_1e6_keep_their_precision_under_bf16_autocast() -> None:
    # bf16 rounds values near 1e6 to multiples of 4096: the target's scale is applied in float32.
    model = regressor(0.123)
    inputs = model.example_inputs(batch_size=2)
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        mixed = model(inputs)
    assert mixed.dtype == torch.float32
    torch.testing.assert_close(mixed, model(inputs), rtol=0, atol=1.0)


def test_the_export_describes_a_value_per_row() -> None:
    info = regressor(0.0).export_info()
    assert info["task"] == "tabular_regression"
    assert info["outputs"] == [
        {"name": "value", "dtype": "float32", "shape": ["batch"], "after": "the prediction, in the target's units"}
    ]


def test_the_targets_scale_must_be_positive() -> None:
    with pytest.raises(ValueError, match=r"target_std=0\.0 must be positive"):
        TabularRegressor(numeric_columns=["x"], vocabularies={}, target_std=0.0)
