"""The rendered README's two installs keep their word about the configs: in the development
(editable) install, an edit of a packaged config is the new default of every run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from .rendered import install


@pytest.mark.rendered_suite
def test_an_edit_of_a_packaged_config_takes_effect_in_the_development_install(cookies, tmp_path: Path) -> None:
    result = cookies.bake(extra_context={"task_type": "tabular_regression", "logger": "none"})
    assert result.exit_code == 0, result.exception
    python = install(result.project_path, tmp_path, editable=True)
    trainer_config = result.project_path / "src" / "digit_classifier" / "configs" / "trainer.yaml"
    trainer_config.write_text(trainer_config.read_text().replace("max_epochs: 20", "max_epochs: 7"))
    printed = subprocess.run(
        [str(python), "-m", "digit_classifier", "fit", "--print_config"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert printed.returncode == 0, printed.stderr[-3000:]
    assert yaml.safe_load(printed.stdout)["trainer"]["max_epochs"] == 7
