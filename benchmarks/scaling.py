"""How a rendered project's per-run costs grow with its data: images, table rows and text lines.

    python benchmarks/scaling.py [--images 10000 100000] [--rows 100000 1000000] [--lines 10000 100000]

For each data kind and size it renders the task's project, generates the data (32x32 PNGs in 10
class folders; a CSV of 10 numeric and 3 categorical columns; a CSV of sentences of 8 to 30
words), then runs the same fresh process twice in one working folder, so the second finds the
first's cache:
- preparation, first run: from the CLI's import to the first training batch (the data listed,
  checked, decoded or parsed or tokenized, and cached; the split; the loader's first batch);
- start-up, second run: the same span over the unchanged data, i.e. beyond the import floor;
- loader / in memory: samples/s of the shipped training DataLoader, over up to `--batches`
  batches, against a DataLoader with the same batch size over those samples held in a Python list,
  collated one by one by the data module's collation (the second run);
- peak RSS of the second run's process once it has read one whole epoch of training batches
  (before the loader comparison, whose list of samples would count).

Prints a Markdown table and writes it, with a plot, to `--out` (scaling.md, scaling.png).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from run import PACKAGE, clean_env, render

CLASSES = 10
WORDS = [f"w{index}" for index in range(2000)]
TOPICS = ["sport", "music", "science", "travel"]


def write_image_chunk(folder: str, start: int, stop: int) -> None:
    import numpy as np
    from PIL import Image

    generator = np.random.default_rng(start)
    for index in range(start, stop):
        label = index % CLASSES
        pixels = generator.integers(0, 64, (32, 32, 3), dtype=np.uint8) + np.uint8(label * 19)
        path = Path(folder) / f"class_{label}" / f"{index:07d}.png"
        Image.fromarray(pixels).save(path)


def write_images(folder: Path, count: int) -> str:
    for label in range(CLASSES):
        (folder / f"class_{label}").mkdir(parents=True, exist_ok=True)
    chunks = [(str(folder), start, min(start + 2000, count)) for start in range(0, count, 2000)]
    with ProcessPoolExecutor() as processes:
        list(processes.map(write_image_chunk, *zip(*chunks, strict=True)))
    return "--data.data_dir"


def write_rows(path: Path, count: int) -> str:
    import numpy as np
    import pandas as pd

    generator = np.random.default_rng(0)
    numbers = generator.normal(size=(count, 10)).round(4)
    frame = pd.DataFrame(numbers, columns=[f"x{index}" for index in range(10)])
    for index in range(3):
        frame[f"c{index}"] = generator.choice(["red", "green", "blue", "grey"], size=count)
    frame["target"] = np.where(numbers[:, 0] + numbers[:, 1] > 0, "yes", "no")
    frame.to_csv(path, index=False)
    return "--data.csv_path"


def write_lines(path: Path, count: int) -> str:
    generator = random.Random(0)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["text", "label"])
        for _ in range(count):
            topic = generator.randrange(len(TOPICS))
            words = [
                WORDS[generator.randrange(topic * 500, topic * 500 + 500)] for _ in range(generator.randint(8, 30))
            ]
            writer.writerow([" ".join(words), TOPICS[topic]])
    return "--data.data_path"


KINDS = {  # data kind: (task, writer, file name)
    "images": ("image_classification", write_images, "images"),
    "rows": ("tabular_classification", write_rows, "rows.csv"),
    "lines": ("text_classification", write_lines, "lines.csv"),
}


def child(data_arg: str, data_path: str, batches: int, measure_loader: bool) -> None:
    """One run, in a fresh process: prints the JSON of its figures."""
    import importlib

    from torch.utils.data import DataLoader

    start = time.perf_counter()
    main = importlib.import_module(f"{PACKAGE}.training.cli").main
    imported = time.perf_counter()
    cli = main([data_arg, data_path, "--trainer.logger", "false", "--trainer.enable_progress_bar", "false"], run=False)
    datamodule = cli.datamodule
    datamodule.prepare_data()
    datamodule.setup("fit")
    loader = datamodule.train_dataloader()
    next(iter(loader))
    ready = time.perf_counter()
    figures = {"import_s": imported - start, "startup_s": ready - imported, "samples": len(datamodule.train_dataset)}
    if measure_loader:
        for _ in loader:  # a whole epoch, as a run reads it: every training row of the cache is read once
            pass
        figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        def rate(source) -> float:
            clock = time.perf_counter()
            samples = 0
            for count, batch in enumerate(source):
                samples += len(batch[-1])
                if count + 1 == batches:
                    break
            return samples / (time.perf_counter() - clock)

        shipped = [rate(loader) for _ in range(3)]
        dataset = datamodule.train_dataset
        held = [dataset[index] for index in range(min(len(dataset), batches * datamodule.batch_size))]
        in_memory = DataLoader(held, batch_size=datamodule.batch_size, shuffle=True, collate_fn=datamodule.collate_fn())
        memory = [rate(in_memory) for _ in range(3)]
        figures |= {"loader": sorted(shipped)[1], "in_memory": sorted(memory)[1]}
    print(json.dumps(figures))


def run_child(project: Path, workdir: Path, data_arg: str, data_path: Path, batches: int, measure: bool) -> dict:
    command = [sys.executable, __file__, "--child", data_arg, str(data_path), str(batches), str(int(measure))]
    result = subprocess.run(command, cwd=workdir, env=clean_env(workdir, project), capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def folder_mb(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 2**20


def plot(rows: list[dict], path: Path) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 3.6), layout="constrained")
    panels = figure.subplots(1, 4)
    measures = [
        ("first_s", "first run: preparation (s)"),
        ("second_s", "second run: start-up beyond imports (s)"),
        ("ratio", "loader / in memory"),
        ("peak_rss_mb", "peak RSS, second run (MB)"),
    ]
    for axes, (key, title) in zip(panels, measures, strict=True):
        for kind in KINDS:
            points = [(row["size"], row[key]) for row in rows if row["kind"] == kind]
            if points:
                axes.plot(*zip(*points, strict=True), marker="o", label=kind)
        axes.set_xscale("log")
        axes.set_title(title, fontsize=9)
        axes.set_xlabel("samples in the data")
        axes.grid(alpha=0.3)
    panels[0].legend()
    figure.savefig(path, dpi=110)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1")
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--rows", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--lines", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--batches", type=int, default=500, help="batches timed per loader pass")
    parser.add_argument("--out", type=Path, default=Path("benchmarks"))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        for kind, (task, write, name) in KINDS.items():
            project, _ = render(task, root / kind)
            for size in getattr(args, kind):
                workdir = root / f"{kind}-{size}"
                workdir.mkdir()
                clock = time.perf_counter()
                data_arg = write(workdir / name, size)
                generated = time.perf_counter() - clock
                first = run_child(project, workdir, data_arg, workdir / name, args.batches, measure=False)
                second = run_child(project, workdir, data_arg, workdir / name, args.batches, measure=True)
                row = {
                    "kind": kind,
                    "size": size,
                    "generated_s": generated,
                    "import_s": second["import_s"],
                    "first_s": first["startup_s"],
                    "second_s": second["startup_s"],
                    "loader": second["loader"],
                    "in_memory": second["in_memory"],
                    "ratio": second["loader"] / second["in_memory"],
                    "peak_rss_mb": second["peak_rss_mb"],
                    "cache_mb": folder_mb(workdir / "data" / "cache") if (workdir / "data" / "cache").exists() else 0.0,
                }
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    lines = [
        "| data | samples | first run: preparation (s) | second run: start-up beyond imports (s) "
        "| loader (samples/s) | in memory (samples/s) | loader / in memory | peak RSS (MB) | cache on disk (MB) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['kind']} | {row['size']:,} | {row['first_s']:.1f} | {row['second_s']:.2f} | {row['loader']:,.0f} "
            f"| {row['in_memory']:,.0f} | {row['ratio']:.2f} | {row['peak_rss_mb']:,.0f} | {row['cache_mb']:,.0f} |"
        )
    lines.append(f"\nimport floor (s): {min(row['import_s'] for row in rows):.2f}")
    table = "\n".join(lines)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scaling.md").write_text(table + "\n")
    plot(rows, args.out / "scaling.png")


if __name__ == "__main__":
    main()
