"""`cv` in a project without folds says how to get them."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.commands import main


def test_cv_without_the_kfold_split_strategy_says_how_to_get_it() -> None:
    with pytest.raises(ValueError, match=r"^cv: cross-validation needs the kfold split strategy.*split_strategy=kfold"):
        main(["cv", "--trainer.max_epochs", "1"])
