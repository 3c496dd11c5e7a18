"""Benchmark the template: render variants, time them, compare the pipeline with plain PyTorch,
serve and export a checkpoint, sweep.

    python benchmarks/run.py [--epochs 4] [--repeats 3] [--requests 400] [--tasks image_classification ...]

Prints Markdown tables. Every figure comes from this one run, so the ratios hold on a
noisy machine: the two sides of each ratio are measured in alternation. On a machine with a CUDA
GPU it measures the GPU (and runs the rendered project's `gpu` tests).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_CONTEXT = json.loads((ROOT / "cookiecutter.json").read_text())
PACKAGE = "digit_classifier"
KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "TMPDIR", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def clean_env(home: Path, project: Path | None = None) -> dict[str, str]:
    """A fresh shell's environment, with `project`'s package importable from any folder."""
    env = {name: os.environ[name] for name in KEPT_VARIABLES if name in os.environ}
    env |= {"HOME": str(home), "WANDB_MODE": "offline", "PYTHONDONTWRITEBYTECODE": "1"}
    return env | ({"PYTHONPATH": str(project / "src")} if project else {})


def render(task_type: str, output: Path, logger: str = "csv") -> tuple[Path, float]:
    start = time.perf_counter()
    project = cookiecutter(
        str(ROOT),
        no_input=True,
        output_dir=str(output),
        extra_context={"task_type": task_type, "split_strategy": "random", "logger": logger},
    )
    return Path(project), time.perf_counter() - start


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed in {cwd}:\n{result.stdout[-4000:]}{result.stderr[-2000:]}")
    return time.perf_counter() - start


def measure(script: list[str], cwd: Path, env: dict[str, str]) -> dict:
    """Run a measuring script in a rendered project; the JSON object it prints last."""
    result = subprocess.run([sys.executable, *script], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{script[0]} failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def print_deployment(deployment: dict, larger_serving: dict) -> None:
    print("\n| `serve`, image classifier | server | clients | requests/s | p50 (ms) | p99 (ms) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for model, serving in (("small_cnn, 32 px (default)", deployment), ("resnet18, 128 px", larger_serving)):
        for server, levels in serving["serve"].items():
            for clients, figures in levels.items():
                print(
                    f"| {model} | {server} | {clients} | {figures['requests_per_s']:.0f} | {figures['p50_ms']:.1f} "
                    f"| {figures['p99_ms']:.1f} |"
                )
        batched, unbatched = serving["serve"]["batching (defaults)"]["32"], serving["serve"]["no batching"]["32"]
        ratio = batched["requests_per_s"] / unbatched["requests_per_s"]
        print(f"| {model} | batching / no batching, 32 clients | | {ratio:.2f}x | | |")
    onnx = deployment["onnx"]
    heading = f"inference, image classifier ({onnx['exporter']} export)"
    print(f"\n| {heading} | ONNX Runtime (ms) | PyTorch eager (ms) | ratio |")
    print("| --- | --- | --- | --- |")
    for batch_size in ("1", "64"):
        figures = onnx[batch_size]
        ratio = figures["pytorch_ms"] / figures["onnxruntime_ms"]
        print(
            f"| batch {batch_size} | {figures['onnxruntime_ms']:.2f} | {figures['pytorch_ms']:.2f} "
            f"| ONNX Runtime {ratio:.2f}x as fast |"
        )


def print_sweeping(sweeping: dict) -> None:
    print("\n| `sweep`, image classifier | value |")
    print("| --- | --- |")
    fit, trial = sweeping["fit_s"], sweeping["trial_s"]
    print(f"| default `fit`, in process (s) | {fit:.1f} |")
    print(f"| a sweep trial of the same config (s) | {trial:.1f} |")
    print(f"| per-trial overhead of `sweep` | {100 * (trial / fit - 1):+.1f} % |")
    print(
        f"| once per `sweep` command: options checked, study opened, results and plots written (s) | "
        f"{sweeping['sweep_fixed_s']:.1f} |"
    )
    one, two = sweeping["one_worker_s"], sweeping["two_workers_s"]
    study = f"{sweeping['trials']} trials of {sweeping['epochs']} epochs"
    print(f"| {study}, 1 worker (s) | {one:.1f} |")
    shared = sweeping["two_workers_threads_shared_s"]
    print(f"| {study}, 2 workers sharing the study on {sweeping['cpus']} cores (s) | {two:.1f} |")
    print(f"| same, each worker `OMP_NUM_THREADS={max(1, sweeping['cpus'] // 2)}` (s) | {shared:.1f} |")
    print(f"| 1 worker / 2 workers (threads shared) | {one / two:.2f}x ({one / shared:.2f}x) |")
    if "two_workers_postgresql_s" in sweeping:
        on_server = sweeping["two_workers_postgresql_s"]
        print(f"| same, the study on a PostgreSQL server (s) | {on_server:.1f} |")
        per_minute = 60 * sweeping["trials"]
        rates = f"{per_minute / shared:.1f} / {per_minute / on_server:.1f}"
        print(f"| trials per minute, 2 workers: SQLite / PostgreSQL | {rates} |")


def print_plotting(plotting: dict) -> None:
    fit, plots = plotting["fit_s"], plotting["plots_s"]
    print("\n| plots and report.html, default project (TensorBoard) | value |")
    print("| --- | --- |")
    print(f"| default `fit`, in process (s) | {fit:.1f} |")
    print(f"| in the `Plots` callback's hooks (s) | {plots:.2f} |")
    print(f"| plots / the rest of `fit` | {100 * plots / (fit - plots):+.1f} % |")
    print(f"| drawn | {', '.join(plotting['figures'])} |")


def print_finetuning(finetuning: dict) -> None:
    frozen, unfrozen = finetuning["frozen"], finetuning["unfrozen"]
    heading = f"`fit` of resnet18 from pretrained weights, {finetuning['image_size']} px, {finetuning['device']}"
    print(f"\n| {heading} | samples/s |")
    print("| --- | --- |")
    print(f"| backbone frozen (`freeze_backbone_epochs`) | {frozen:.0f} |")
    print(f"| everything training | {unfrozen:.0f} |")
    print(f"| frozen / unfrozen | {frozen / unfrozen:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--epochs", type=int, default=4, help="epochs per throughput measurement, the first one for warm-up"
    )
    parser.add_argument("--repeats", type=int, default=3, help="alternating measurements per side")
    parser.add_argument("--requests", type=int, default=400, help="requests per concurrency level of serve")
    parser.add_argument("--tasks", nargs="*", default=TEMPLATE_CONTEXT["task_type"])
    parser.add_argument(
        "--postgresql", help="a PostgreSQL URL (postgresql+psycopg://...) to time a sweep's study on too"
    )
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error(f"--epochs {args.epochs}: the first epoch is a warm-up, so at least 2 are needed")

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        home = scratch / "home"
        home.mkdir()
        env = clean_env(home)
        python = sys.executable

        import_floor = statistics.median(
            timed([python, "-c", "import lightning.pytorch, torchvision, torchmetrics"], scratch, env) for _ in range(3)
        )

        rows = []
        for task_type in args.tasks:
            project, render_seconds = render(task_type, scratch / task_type)
            project_env = clean_env(home, project)
            suite_seconds = timed([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, project_env)
            rows.append((task_type, render_seconds, suite_seconds))
            if torch.cuda.is_available():
                timed([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "gpu"], project, project_env)

        image_project, _ = render("image_classification", scratch / "throughput")
        image_env = clean_env(home, image_project)
        # The bundled data are written once, outside the timed runs.
        subprocess.run(
            [python, "-c", f"from {PACKAGE}.training.cli import main; main([], run=False).datamodule.prepare_data()"],
            cwd=image_project,
            env=image_env,
            check=True,
            capture_output=True,
        )
        throughput = measure(
            [str(ROOT / "benchmarks" / "throughput.py"), PACKAGE, str(args.epochs), str(args.repeats)],
            image_project,
            image_env,
        )
        # A checkpoint to serve and export: a short fit of the default model on the bundled data.
        timed([python, "-m", PACKAGE, "fit", "--trainer.max_epochs", "3"], image_project, image_env)
        script = str(ROOT / "benchmarks" / "deployment.py")
        deployment = measure([script, PACKAGE, "best", str(args.requests)], image_project, image_env)
        # And a model whose own work outweighs handling a request (its weights do not matter here).
        larger = ["--model.init_args.backbone", "resnet18", "--data.image_size", "128"]
        short = ["--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1"]
        timed([python, "-m", PACKAGE, "fit", *larger, *short], image_project, image_env)
        larger_serving = measure([script, PACKAGE, "best", str(args.requests // 3), "serve"], image_project, image_env)
        sweeping = measure(
            [
                str(ROOT / "benchmarks" / "sweeping.py"),
                PACKAGE,
                str(args.repeats),
                "8",
                "3",
                *([args.postgresql] if args.postgresql else []),
            ],
            image_project,
            image_env,
        )
        finetuning = measure(
            [str(ROOT / "benchmarks" / "finetuning.py"), PACKAGE, "64", "10", str(args.repeats)],
            image_project,
            image_env,
        )
        # The default project (TensorBoard, whose figures are logged too), as the README's first command renders it.
        default_project, _ = render("image_classification", scratch / "plotting", logger="tensorboard")
        plotting = measure(
            [str(ROOT / "benchmarks" / "plotting.py"), PACKAGE, str(args.repeats)],
            default_project,
            clean_env(home, default_project),
        )

    print(
        f"Machine: {os.cpu_count()} CPU cores, torch threads {throughput['threads']}, device {throughput['device']}, "
        f"precision {throughput['precision']}, {throughput['num_workers']} loader worker(s)\n"
    )
    print("| measure | value |")
    print("| --- | --- |")
    fit, plain = throughput["pipeline_fit"], throughput["plain_loop"]
    print(f"| image_classification `fit` (samples/s) | {fit:.0f} |")
    print(f"| plain PyTorch loop, same model, DataLoader, optimizer (samples/s) | {plain:.0f} |")
    ratios = throughput["fit_over_plain"]
    print(
        f"| `fit` / plain loop, median of the alternations (lowest, highest) | {statistics.median(ratios):.3f} "
        f"({ratios[0]:.2f}, {ratios[-1]:.2f}) |"
    )
    cached, decoding = throughput["loader_cached"], throughput["loader_decoding"]
    in_memory = throughput["loader_in_memory"]
    print(f"| shipped DataLoader from the image cache + batch augmentation (samples/s) | {cached:.0f} |")
    print(f"| same, decoding the files every epoch, `cache_dir: null` (samples/s) | {decoding:.0f} |")
    print(f"| same samples decoded in memory + batch augmentation (samples/s) | {in_memory:.0f} |")
    print(f"| cached / in memory | {cached / in_memory:.3f} |")
    print(f"| decoding / in memory | {decoding / in_memory:.3f} |")
    print(f"| import floor `import lightning.pytorch, torchvision, torchmetrics` (s) | {import_floor:.2f} |")
    print_deployment(deployment, larger_serving)
    print_sweeping(sweeping)
    print_plotting(plotting)
    print_finetuning(finetuning)
    print("\n| task | render (s) | rendered suite (s) | suite / import floor |")
    print("| --- | --- | --- | --- |")
    for task_type, render_seconds, suite_seconds in rows:
        print(f"| {task_type} | {render_seconds:.2f} | {suite_seconds:.1f} | {suite_seconds / import_floor:.1f} |")


if __name__ == "__main__":
    main()
