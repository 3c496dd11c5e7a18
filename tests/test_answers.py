"""Odd but legal answers render a valid project and come back unchanged from every file
that holds them: pyproject.toml (read with tomllib), the README, the saved answers."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Printable text of any script, with the characters that break naive templating.
odd_text = st.text(
    alphabet=st.one_of(
        st.sampled_from("\"'\\#:{}[]`$%&*|<>!?@;,=+~^"),
        st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
    ),
    max_size=40,
).filter(
    # Cookiecutter itself renders answers as Jinja: "{{", "{%" and "{#" in an answer are
    # template syntax by design, not text.
    lambda text: not any(mark in text for mark in ("{{", "{%", "{#"))
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name_tail=odd_text, author_name=odd_text, description=odd_text)
def test_odd_answers_round_trip(cookies, name_tail: str, author_name: str, description: str) -> None:
    # A leading word keeps the derived slug and package name valid: those are refused otherwise.
    project_name = f"Model {name_tail}".strip()
    result = cookies.bake(
        extra_context={"project_name": project_name, "author_name": author_name, "description": description}
    )
    assert result.exit_code == 0, result.exception
    project: Path = result.project_path

    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["description"] == description
    assert metadata["authors"][0]["name"] == author_name

    readme = (project / "README.md").read_text()
    assert readme.startswith(f"# {project_name}\n")
    assert f"\n{description}\n" in readme

    answers = json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]
    assert (answers["project_name"], answers["author_name"], answers["description"]) == (
        project_name,
        author_name,
        description,
    )
    for config in project.glob("src/*/configs/*.yaml"):
        assert isinstance(yaml.safe_load(config.read_text()), dict), config
