"""`fit` on two CPU processes with DDP (gloo), as on two GPUs, and as two machines started by torchrun."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch

from {{ cookiecutter.package_name }}.training.cli import main

from .processes import finished, free_port, plugin, run_cli, start_cli

pytestmark = pytest.mark.slow


def records(folder: Path, pattern: str) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(folder.glob(pattern))]


DDP_ON_TWO_PROCESSES = [
    "--trainer.accelerator=cpu",
    "--trainer.devices=2",
    "--trainer.strategy=ddp",
    "--trainer.enable_progress_bar=false",
]


def test_ddp_fit_on_two_processes(data_args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    probe_dir = tmp_path / "probe"
    run = run_cli(
        [
            "fit",
            *data_args,
            *DDP_ON_TWO_PROCESSES,
            "--trainer.max_epochs=2",
            f"--trainer.callbacks+={plugin('DistributedProbe', folder=str(probe_dir))}",
            f"--trainer.profiler={plugin('PrepareDataCounter', folder=str(probe_dir))}",
        ],
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-5000:]

    fits = records(probe_dir, "fit-rank*.json")
    assert [fit["world_size"] for fit in fits] == [2, 2]
    assert fits[0]["pid"] != fits[1]["pid"], "the two ranks ran in one process"
    assert fits[0]["split"] == fits[1]["split"], "the ranks trained on different splits"

    # prepare_data writes files: once per machine (local rank 0), for fit and for the test after it.
    stages = [stage for counter in records(probe_dir, "prepare_data-*.json") for stage in counter["stages"]]
    for name in ("fit", "test"):
        ran = [stage for stage in stages if stage["stage"] == name]
        assert len(ran) == 2, f"{name} ran in {len(ran)} processes"
        assert sorted(stage["prepare_data"] for stage in ran) == [0, 1], f"prepare_data during {name}: {ran}"

    # Every test sample was evaluated by exactly one rank, and both ranks logged the same
    # metrics: reduced over all the samples, not over each rank's share.
    shares = records(probe_dir, "test-batches-rank*.json")
    evaluated = [index for share in shares for batch in share["batches"] for index in batch]
    assert sorted(evaluated) == list(range(shares[0]["dataset_size"]))
    assert all(share["batches"] for share in shares), "a rank evaluated nothing"
    rank0_metrics, rank1_metrics = records(probe_dir, "test-metrics-rank*.json")
    assert rank0_metrics and rank0_metrics == rank1_metrics

    # One run folder, one set of checkpoints: the other rank wrote none of its own.
    assert fits[0]["checkpoint_dir"] == fits[1]["checkpoint_dir"]
    checkpoints = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*.ckpt"))
    checkpoint_dir = Path(fits[0]["checkpoint_dir"])
    assert checkpoints == [checkpoint_dir / "best.ckpt", checkpoint_dir / "last.ckpt"]

    # The reduced metrics are those of one process testing the same checkpoint. Not the loss:
    # Lightning averages it over batches, and a class-weighted loss is a mean weighted by class,
    # so it depends on how the samples are batched.
    monkeypatch.chdir(tmp_path)
    single = main(["test", *data_args, "--ckpt_path", str(checkpoint_dir / "best.ckpt")])
    metrics = [name for name in rank0_metrics if not name.endswith("/loss")]
    assert metrics, f"no test metric besides the loss: {rank0_metrics}"
    single_metrics = {name: float(single.trainer.callback_metrics[name]) for name in metrics}
    assert single_metrics == pytest.approx({name: rank0_metrics[name] for name in metrics}, rel=1e-5)


def test_a_failure_of_one_process_ends_the_whole_job(data_args: list[str], tmp_path: Path) -> None:
    started = time.monotonic()
    run = run_cli(
        [
            "fit",
            *data_args,
            *DDP_ON_TWO_PROCESSES,
            "--trainer.max_epochs=3",
            f"--trainer.callbacks+={plugin('FailOnRank', rank=1, step=2)}",
        ],
        cwd=tmp_path,
        timeout=300,
    )
    elapsed = time.monotonic() - started
    assert run.returncode != 0, run.stdout[-5000:]
    assert "rank 1 failed on purpose" in run.stdout
    # Not left waiting for the failed process in a collective until the 30-minute timeout.
    assert elapsed < 60, f"the job took {elapsed:.0f} s to end after one process failed"
    assert not list(tmp_path.rglob("interrupted.ckpt")), "a save would need the failed process"


# Two machines of one process each, as the README's multi-node commands start them.
TWO_NODES = [
    "--trainer.accelerator=cpu",
    "--trainer.num_nodes=2",
    "--trainer.devices=1",
    "--trainer.strategy=ddp",
    "--trainer.enable_progress_bar=false",
]


def two_node_job(args: list[str], cwd: Path) -> None:
    """`fit <args>` as a job of two nodes, each started by its own torchrun (`torch.distributed.run`)
    with its node rank, as on two machines that share `cwd` as their file system; both must succeed."""
    port = free_port()
    torchrun = ["torch.distributed.run", "--nnodes=2", "--nproc-per-node=1", "--master-addr=127.0.0.1"]
    nodes = [
        start_cli(["fit", *args, *TWO_NODES], cwd, launcher=[*torchrun, f"--master-port={port}", f"--node-rank={rank}"])
        for rank in (0, 1)
    ]
    for node in [finished(node, timeout=300) for node in nodes]:
        assert node.returncode == 0, node.stdout[-5000:]


def test_two_nodes_started_by_torchrun_train_as_one_job_and_resume(data_args: list[str], tmp_path: Path) -> None:
    probe = plugin("DistributedProbe", folder=str(tmp_path / "probe"))
    two_node_job([*data_args, "--trainer.max_epochs=1", f"--trainer.callbacks+={probe}"], tmp_path)
    fits = records(tmp_path / "probe", "fit-rank*.json")
    assert [fit["world_size"] for fit in fits] == [2, 2]
    assert fits[0]["split"] == fits[1]["split"], "the nodes trained on different splits"
    # One run folder, one set of checkpoints: the second node wrote none of its own.
    checkpoint_dir = Path(fits[0]["checkpoint_dir"])
    assert fits[1]["checkpoint_dir"] == fits[0]["checkpoint_dir"]
    assert sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*.ckpt")) == [
        checkpoint_dir / "best.ckpt",
        checkpoint_dir / "last.ckpt",
    ]
    assert [path.parent for path in tmp_path.glob("runs/**/config.yaml")] == [tmp_path / checkpoint_dir.parent]

    # Both nodes resume the run from its last checkpoint, in its folder.
    probe = plugin("DistributedProbe", folder=str(tmp_path / "resumed"))
    two_node_job([*data_args, "--trainer.max_epochs=2", "--ckpt_path=last", f"--trainer.callbacks+={probe}"], tmp_path)
    resumed = records(tmp_path / "resumed", "fit-rank*.json")
    assert [fit["checkpoint_dir"] for fit in resumed] == [str(checkpoint_dir)] * 2
    assert resumed[0]["split"] == fits[0]["split"]
    assert torch.load(tmp_path / checkpoint_dir / "last.ckpt", weights_only=True)["epoch"] == 1
