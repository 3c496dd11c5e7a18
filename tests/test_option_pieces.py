"""The README's option-specific wording comes from one fragment per option value, included by the
value's name: every value has every fragment, and a value without them fails the render by naming
the missing file (never an inline dict's KeyError, never another value's wording from an `else`)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter
from jinja2 import TemplateNotFound

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "{{cookiecutter.project_slug}}" / "README.md"
PIECES = ROOT / "templates" / "readme"
OPTIONS = ("task_type", "split_strategy", "logger")
# `{% include "readme/<option>/" ~ cookiecutter.<option> ~ "/<piece>" %}`: each option's pieces sit
# in templates/readme/<option>/<value>/.
INCLUDE = re.compile(r'\{%-? include "readme/([\w/]*)" ~ cookiecutter\.(\w+) ~ "/([\w.]+)" -?%\}')
ANY_INCLUDE = re.compile(r"\{%-? include .*?%\}")


def answers() -> dict:
    return json.loads((ROOT / "cookiecutter.json").read_text())


def templates() -> list[Path]:
    """The README and every fragment: fragments include fragments too."""
    return [README, *sorted(PIECES.rglob("*.md"))]


def pieces() -> dict[str, set[tuple[str, str]]]:
    """Each option's (folder, piece) pairs, from the include statements."""
    found: dict[str, set[tuple[str, str]]] = {}
    for path in templates():
        for folder, option, piece in INCLUDE.findall(path.read_text()):
            found.setdefault(option, set()).add((folder, piece))
    return found


def test_every_include_names_an_option_value() -> None:
    text = "".join(path.read_text() for path in templates())
    assert {match for match in ANY_INCLUDE.findall(text) if not INCLUDE.fullmatch(match)} == set()
    assert set(pieces()) == set(OPTIONS)


def test_the_readme_picks_no_wording_by_value_itself() -> None:
    """No `if`, inline dict or conditional expression on an option in the shared README or in the
    logger's and split's fragments: only includes by the value's name."""
    shared = [README, *sorted((PIECES / "logger").rglob("*.md")), *sorted((PIECES / "split_strategy").rglob("*.md"))]
    for path in shared:
        text = INCLUDE.sub("", path.read_text())
        for option in OPTIONS:
            assert f"cookiecutter.{option}" not in text, path


@pytest.mark.parametrize("option", OPTIONS)
def test_every_value_has_every_piece(option: str) -> None:
    values = answers()[option]
    for folder, piece in sorted(pieces()[option]):
        missing = [value for value in values if not (PIECES / folder / value / piece).is_file()]
        assert missing == [], f"{option} values without templates/readme/{folder}<value>/{piece}"
        # A piece is included mid-sentence or as whole lines: the same for every value that has words.
        endings = {
            (PIECES / folder / value / piece).read_text().endswith("\n")
            for value in values
            if (PIECES / folder / value / piece).read_text()
        }
        assert len(endings) <= 1, f"{folder}<value>/{piece}: some values end it with a newline, some not"


@pytest.mark.parametrize("option", OPTIONS)
def test_no_piece_or_folder_is_left_over(option: str) -> None:
    """Each option's folders are its values, and hold the pieces the README includes, no other."""
    folders = {folder for folder, _ in pieces()[option]}
    for folder in folders:
        values = {path.name for path in (PIECES / folder).iterdir() if path.is_dir()}
        assert values == set(answers()[option]), folder
        for value in values:
            held = {path.name for path in (PIECES / folder / value).iterdir()}
            assert held == {piece for other, piece in pieces()[option] if other == folder}, f"{folder}{value}"


NEW_VALUES = [("logger", "comet"), ("split_strategy", "group_kfold"), ("task_type", "audio_classification")]


@pytest.mark.parametrize(("option", "value"), NEW_VALUES)
def test_a_new_value_without_its_pieces_fails_the_render_naming_them(tmp_path: Path, option: str, value: str) -> None:
    """A copy of the template with one more value and no fragments for it: the render stops at the
    README's first fragment of that option, by name. (The copy holds the README alone: fast.)"""
    template = tmp_path / "template"
    shutil.copytree(PIECES, template / "templates" / "readme")
    (template / README.parent.name).mkdir()
    shutil.copy(README, template / README.parent.name / "README.md")
    config = answers()
    config[option] = [*config[option], value]
    (template / "cookiecutter.json").write_text(json.dumps(config))
    folder, _, piece = next(found for found in INCLUDE.findall(README.read_text()) if found[1] == option)
    missing = f"readme/{folder}{value}/{piece}"  # the README's first fragment of the option
    with pytest.raises(TemplateNotFound, match=re.escape(missing)):
        cookiecutter(str(template), no_input=True, output_dir=str(tmp_path / "out"), extra_context={option: value})
    # Every value that has its fragments still renders from the same copy.
    project = Path(cookiecutter(str(template), no_input=True, output_dir=str(tmp_path / "ok")))
    assert (project / "README.md").read_text().startswith("# ")
