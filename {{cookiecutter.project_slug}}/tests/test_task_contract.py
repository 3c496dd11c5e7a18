"""The task keeps the contract of tests/task_contract.py: what the shared code calls and the shared tests import."""

from __future__ import annotations

import inspect

from lightning.pytorch import LightningDataModule

from {{ cookiecutter.package_name }} import data, models
from {{ cookiecutter.package_name }}.models.supervised import SupervisedModule

from . import tiny_data
from .task_contract import TinyData


def test_the_model_implements_every_step_of_the_inference_pipeline() -> None:
    (model_class,) = (getattr(models, name) for name in models.__all__)
    assert issubclass(model_class, SupervisedModule)
    missing = sorted(model_class.__abstractmethods__)
    assert not missing, f"{model_class.__name__} lacks {missing}"


def test_the_data_package_exports_the_data_module_and_the_linked_names() -> None:
    modules = [getattr(data, name) for name in data.__all__ if isinstance(getattr(data, name), type)]
    assert [module for module in modules if issubclass(module, LightningDataModule)], data.__all__
    assert all(isinstance(name, str) for name in (*data.LINKED_TO_MODEL, *data.LINKED_FROM_MODEL))


def test_tiny_data_defines_what_the_shared_tests_import() -> None:
    for name, expected in inspect.getmembers(TinyData):
        if name.startswith("_"):
            continue
        assert hasattr(tiny_data, name), f"tests/tiny_data.py has no {name}"
        expected_parameters = list(inspect.signature(expected).parameters)
        assert list(inspect.signature(getattr(tiny_data, name)).parameters) == expected_parameters, name
    for name in TinyData.__annotations__:
        assert hasattr(tiny_data, name), f"tests/tiny_data.py has no {name}"
    assert all(isinstance(figure, str) for figure in tiny_data.TEST_FIGURES)
