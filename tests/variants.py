"""The template's option combinations, as the hooks see them: one source for every test."""

from __future__ import annotations

import importlib.util
import itertools
import json
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_CONTEXT = json.loads((ROOT / "cookiecutter.json").read_text())
OPTION_KEYS = ("task_type", "split_strategy", "logger")


def load_hook(name: str, root: Path = ROOT) -> ModuleType:
    """Import a hook script (of the template at `root`) as a module (its Jinja sits in a string that
    only `main` reads)."""
    spec = importlib.util.spec_from_file_location(name, root / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def template_files(answers: dict, root: Path = ROOT) -> set[str]:
    """The files that the project of `answers` should have, read off the template's source tree at
    `root` by the post-generation hook's own rule (its `chosen_folders`): every file outside
    `_options`, and each file of a chosen folder at its path inside that folder; the package folder
    named as the answers name it. A render that drops or misplaces a file differs from it."""
    hook = load_hook("post_gen_project", root)
    template = root / "{{cookiecutter.project_slug}}"
    options = template / hook.OPTIONS_DIR

    def files(folder: Path) -> set[str]:
        return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}

    names = {name for name in files(template) if not name.startswith(f"{hook.OPTIONS_DIR}/")}
    for folder in hook.chosen_folders(options, answers):
        names |= files(folder)
    return {name.replace("{{cookiecutter.package_name}}", answers["package_name"]) for name in names}


def default_answers(**answers: str) -> dict:
    """The answers the hooks see with --no-input (the template's data, the derived names, the first
    value of each option), with `answers` in their place."""
    derived = {"project_slug": "digit-classifier", "package_name": "digit_classifier"}
    first = {key: TEMPLATE_CONTEXT[key][0] for key in OPTION_KEYS}
    return {**TEMPLATE_CONTEXT, **derived, **first, **answers}


def valid_variants() -> list[dict[str, str]]:
    """Every combination of options that the pre-generation hook accepts."""
    refusal = load_hook("pre_gen_project").refusal
    combinations = itertools.product(*(TEMPLATE_CONTEXT[key] for key in OPTION_KEYS))
    variants = [dict(zip(OPTION_KEYS, values, strict=True)) for values in combinations]
    return [variant for variant in variants if refusal(default_answers(**variant)) is None]


def variant_id(variant: dict[str, str]) -> str:
    return "-".join(variant[key] for key in OPTION_KEYS)


def value_pairs(variant: dict[str, str]) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    return set(itertools.combinations(((key, variant[key]) for key in OPTION_KEYS), 2))


# Variants whose rendered suite another test runs: with the lowest library versions allowed
# (test_floor_versions.py), and after a `cruft update` (test_cruft.py, the default answers).
FLOOR_VARIANT = {"task_type": "image_classification", "split_strategy": "stratified", "logger": "csv"}
CRUFT_VARIANT = {key: TEMPLATE_CONTEXT[key][0] for key in OPTION_KEYS}


def covering_variants(variants: list[dict[str, str]]) -> list[dict[str, str]]:
    """A small subset in which every pair of values of two options that some valid
    variant has appears at least once (and so every value of every option), with the suites
    of FLOOR_VARIANT and CRUFT_VARIANT, which other tests run."""
    uncovered = set().union(*(value_pairs(variant) for variant in variants))
    uncovered -= value_pairs(FLOOR_VARIANT) | value_pairs(CRUFT_VARIANT)
    chosen = []
    while uncovered:
        best = max(variants, key=lambda variant: len(value_pairs(variant) & uncovered))
        chosen.append(best)
        uncovered -= value_pairs(best)
    return chosen


def option_values(variant: dict[str, str]) -> set[tuple[str, str]]:
    return {(key, variant[key]) for key in OPTION_KEYS}


def full_suite_variants(covering: list[dict[str, str]]) -> list[dict[str, str]]:
    """The covering variants whose suites run every quick test: one of each task type that the
    suites of FLOOR_VARIANT and CRUFT_VARIANT (which run every quick test too) lack, each chosen for
    the values of the other options those suites lack, so that every value of every option runs
    every quick test. The other covering variants run the tests of the pairs of values they cover."""
    done = option_values(FLOOR_VARIANT) | option_values(CRUFT_VARIANT)
    chosen = []
    for task in TEMPLATE_CONTEXT["task_type"]:
        if ("task_type", task) in done:
            continue
        best = max(
            (variant for variant in covering if variant["task_type"] == task),
            key=lambda variant: len(option_values(variant) - done),
        )
        chosen.append(best)
        done |= option_values(best)
    return chosen


def own_test_files(answers: dict, options: tuple[str, ...], root: Path = ROOT) -> list[str]:
    """The test files (`tests/test_*.py`, not their helpers) that the folders of `options` (names of
    `_options`' folders: `task_type`, `capability`, ...) chosen for `answers` bring, by the
    post-generation hook's rule."""
    hook = load_hook("post_gen_project", root)
    folders = hook.chosen_folders(root / "{{cookiecutter.project_slug}}" / hook.OPTIONS_DIR, answers)
    return sorted(
        path.relative_to(folder).as_posix()
        for folder in folders
        if folder.parent.name in options
        for path in (folder / "tests").glob("test_*.py")
    )


def slow_suite_variants() -> list[dict[str, str]]:
    """The variants whose suites run the slow and deploy tests: one of each task type, each with a
    logger value of its own where there are enough (in the template's order of values), so that the
    slow tests that depend on the logger (a run killed and resumed, a tracking server) run with each."""
    chosen = []
    loggers = list(TEMPLATE_CONTEXT["logger"])
    for task in TEMPLATE_CONTEXT["task_type"]:
        of_task = [variant for variant in valid_variants() if variant["task_type"] == task]
        variant = next((variant for variant in of_task if variant["logger"] in loggers), of_task[0])
        if variant["logger"] in loggers:
            loggers.remove(variant["logger"])
        chosen.append(variant)
    return chosen
