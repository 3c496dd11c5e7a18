"""The tabular classifier: output shape, scaling buffers, embeddings, checkpoint sizes."""

from __future__ import annotations

import pytest
import torch

from {{ cookiecutter.package_name }}.models import TabularClassifier


def batch(rows: int = 6, features: int = 3, cardinalities: tuple[int, ...] = (2, 5)) -> tuple[torch.Tensor, ...]:
    codes = [torch.randint(0, cardinality + 1, (rows,)) for cardinality in cardinalities]
    return torch.randn(rows, features), torch.stack(codes, dim=1) if codes else torch.zeros(rows, 0, dtype=torch.long)


def test_one_logit_per_class_with_unknown_categories() -> None:
    model = TabularClassifier(num_features=3, num_classes=4, category_cardinalities=[2, 5])
    numeric, codes = batch()
    assert model((numeric, codes)).shape == (6, 4)
    # Index 0, the unknown category, has an embedding of its own.
    assert model((numeric, torch.zeros_like(codes))).shape == (6, 4)
    assert [embedding.num_embeddings for embedding in model.embeddings] == [3, 6]


@pytest.mark.parametrize(
    ("features", "cardinalities"), [(3, ()), (0, (2, 5))], ids=["numeric-only", "categorical-only"]
)
def test_numeric_or_categorical_columns_alone(features: int, cardinalities: tuple[int, ...]) -> None:
    model = TabularClassifier(num_features=features, num_classes=2, category_cardinalities=list(cardinalities))
    assert model(batch(features=features, cardinalities=cardinalities)).shape == (6, 2)


def test_numeric_features_are_scaled_with_the_buffers() -> None:
    torch.manual_seed(0)
    scaled = TabularClassifier(num_features=2, num_classes=3, numeric_mean=[1.0, -2.0], numeric_std=[2.0, 4.0]).eval()
    plain = TabularClassifier(num_features=2, num_classes=3).eval()
    plain.load_state_dict({**scaled.state_dict(), "numeric_mean": plain.numeric_mean, "numeric_std": plain.numeric_std})
    assert {"numeric_mean", "numeric_std"} <= set(scaled.state_dict())
    numeric = torch.randn(5, 2)
    codes = torch.zeros(5, 0, dtype=torch.long)
    expected = plain(((numeric - torch.tensor([1.0, -2.0])) / torch.tensor([2.0, 4.0]), codes))
    torch.testing.assert_close(scaled((numeric, codes)), expected)


def test_scaling_needs_one_value_per_feature() -> None:
    with pytest.raises(ValueError, match=r"one value per numeric feature \(num_features=3\)"):
        TabularClassifier(num_features=3, num_classes=2, numeric_mean=[0.0], numeric_std=[1.0])


def test_checkpoint_embedding_sizes_win_over_new_data() -> None:
    trained = TabularClassifier(num_features=3, num_classes=4, category_cardinalities=[2, 5]).eval()
    relinked = TabularClassifier(num_features=3, num_classes=4, category_cardinalities=[3, 5])
    relinked.on_load_checkpoint({"hyper_parameters": dict(trained.hparams)})
    relinked.load_state_dict(trained.state_dict())
    assert relinked.hparams.category_cardinalities == [2, 5]
    inputs = batch()
    torch.testing.assert_close(relinked.eval()(inputs), trained(inputs))


def test_class_weights_weigh_the_loss() -> None:
    model = TabularClassifier(num_features=2, num_classes=2, class_weights=[1.0, 3.0])
    assert model.loss.weight.tolist() == [1.0, 3.0]
    assert "loss.weight" in model.state_dict()
