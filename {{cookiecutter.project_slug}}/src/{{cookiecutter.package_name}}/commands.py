"""Every subcommand, routed to the module that runs it: `python -m {{ cookiecutter.package_name }} <subcommand>` and the
installed command. Nothing in the package imports this module, so that the modules under it form
layers without a circle (a test keeps it so)."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from jsonargparse import CLI

from .training import cli

# Subcommands that start from a checkpoint: a function of a module, whose signature gives the options.
# Imported when they run, as the modules below: ONNX, the web server and Optuna are not needed to train.
FUNCTION_COMMANDS = {"export": "checkpoint.export", "serve": "checkpoint.serving", "report": "plots.report"}
# Subcommands that read their own arguments (those of `fit`, mostly): a module's `main(args, prog)`.
MODULE_COMMANDS = {
    "sweep": "training.sweep",
    "cv": "training.kfold",
    "repeat": "training.repeat",
    "compare": "training.compare",
}


def main(args: list[str] | None = None, prog: str | None = None) -> Any:
    """Run the subcommand in `args` (default: sys.argv) and return what it made: the LightningCLI
    object for fit, validate, test and predict (`training.cli.main`), the subcommand's result for the others."""
    argv = sys.argv[1:] if args is None else args
    command = argv[0] if argv else None
    prog = prog or Path(sys.argv[0]).name
    if command in FUNCTION_COMMANDS:
        function = getattr(importlib.import_module(f".{FUNCTION_COMMANDS[command]}", __package__), command)
        return CLI(function, args=argv[1:], prog=f"{prog} {command}", as_positional=False)
    if command in MODULE_COMMANDS:
        module = f"{__package__}.{MODULE_COMMANDS[command]}"
        if importlib.util.find_spec(module) is None:  # training/kfold.py comes with split_strategy kfold only
            raise ValueError(
                f"{command}: cross-validation needs the kfold split strategy, and this project was rendered with "
                "split_strategy={{ cookiecutter.split_strategy }}: render the template again with split_strategy=kfold."
            )
        return importlib.import_module(module).main(argv[1:], prog=f"{prog} {command}")
    return cli.main(argv, prog=prog)


def run_command_line(prog: str | None = None) -> int:
    """The installed command and `python -m {{ cookiecutter.package_name }}`: run the command line and
    return its exit status. A mistake in the options or the data (a ValueError or an OSError, which
    name the culprit) ends in its one line, not a traceback, unless FULL_TRACEBACK is set; any other
    error is a bug, and shows its traceback."""
    try:
        main(prog=prog)
    except (ValueError, OSError) as error:
        if os.environ.get(cli.TRACEBACK_VARIABLE):
            raise
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
