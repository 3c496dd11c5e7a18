"""The tabular classifier: one logit per class, class-weighted loss, answers that name the classes."""

from __future__ import annotations

import pytest
import torch

from {{ cookiecutter.package_name }}.models import TabularClassifier

CLASSES = ["ant", "bee", "cat"]


def classifier(**overrides: object) -> TabularClassifier:
    arguments = {"class_names": CLASSES, "numeric_columns": ["x", "y"], "vocabularies": {"colour": ["blue", "red"]}}
    return TabularClassifier(**{**arguments, **overrides})


def test_one_logit_per_class_and_answers_that_name_them() -> None:
    model = classifier().eval()
    inputs = model.example_inputs(batch_size=4)
    assert model(inputs).shape == (4, len(CLASSES))
    torch.testing.assert_close(model.infer(*inputs).sum(dim=-1), torch.ones(4))
    (answer,) = model.predict([{"x": 1.5, "y": -2, "colour": "red"}])
    assert answer["label"] in CLASSES
    assert list(answer["probabilities"]) == CLASSES
    assert answer["probabilities"][answer["label"]] == max(answer["probabilities"].values())


def test_class_weights_weigh_the_loss_unless_turned_off() -> None:
    model = classifier(class_weights=[1.0, 3.0, 2.0])
    assert model.loss.weight.tolist() == [1.0, 3.0, 2.0]
    assert "loss.weight" in model.state_dict()
    assert classifier(class_weights=[1.0, 3.0, 2.0], balance_classes=False).loss.weight is None


def test_the_export_describes_classes_and_inputs() -> None:
    info = classifier().export_info()
    assert info["task"] == "tabular_classification"
    assert info["classes"] == CLASSES
    assert info["outputs"][0]["shape"] == ["batch", len(CLASSES)]
    numeric, categories = info["inputs"]
    assert numeric["columns"] == ["x", "y"] and numeric["shape"] == ["batch", 2]
    assert categories["codes"] == {"colour": {"blue": 1, "red": 2}}


def test_a_model_needs_an_input() -> None:
    with pytest.raises(ValueError, match="no numeric, date or categorical column"):
        classifier(numeric_columns=[], vocabularies={})
