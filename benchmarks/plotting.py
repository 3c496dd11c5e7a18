"""What the plots cost a default `fit` of a rendered project, run inside that project.

    python plotting.py <package_name> <repeats>

Prints one JSON object:
- `fit_s`: the median wall time of a default `fit` (which ends with the test of its best
  checkpoint), in this process, `repeats` times;
- `plots_s`: the median time spent in the `Plots` callback's hooks during those runs (learning
  curves kept per epoch, the test split's figures computed, drawn, saved, logged, and report.html);
- `figures`: the files one run drew.
"""

from __future__ import annotations

import functools
import importlib
import json
import statistics
import sys
import time
from pathlib import Path

QUIET = ["--trainer.enable_progress_bar", "false"]


def time_hooks(plots_class: type, spent: list[float]) -> None:
    """Add the time of every hook of `plots_class` to `spent[0]`."""
    for name, hook in list(vars(plots_class).items()):
        if name.startswith("on_") and callable(hook):

            @functools.wraps(hook)
            def timed(*args, _hook=hook, **kwargs):
                start = time.perf_counter()
                try:
                    return _hook(*args, **kwargs)
                finally:
                    spent[0] += time.perf_counter() - start

            setattr(plots_class, name, timed)


def main() -> None:
    package, repeats = sys.argv[1], int(sys.argv[2])
    cli_main = importlib.import_module(f"{package}.training.cli").main
    spent = [0.0]
    time_hooks(importlib.import_module(f"{package}.plots.callback").Plots, spent)
    fits, plots, folder = [], [], None
    for _ in range(repeats):
        spent[0] = 0.0
        start = time.perf_counter()
        cli = cli_main(["fit", *QUIET])
        fits.append(time.perf_counter() - start)
        plots.append(spent[0])
        folder = Path(cli.trainer.checkpoint_callback.dirpath).parent
    record = {
        "fit_s": statistics.median(fits),
        "plots_s": statistics.median(plots),
        "figures": [*sorted(path.name for path in (folder / "plots").glob("*.png")), "report.html"],
    }
    print(json.dumps(record))


if __name__ == "__main__":
    main()
